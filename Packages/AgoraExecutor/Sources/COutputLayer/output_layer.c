// The output layer (lm_head) of a Q8_0 model, computed bit-identically to ggml's x86 AVX2
// path, with an AVX-512 VNNI kernel: one vpdpbusd per 32 products, and each block's scale
// product computed once and read back as a broadcast, so a block costs three 8-lane
// operations (dot, convert, fma) per row and position.
#include "output_layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float fp32_from_bits(uint32_t w) { float f; memcpy(&f, &w, 4); return f; }
static inline uint32_t fp32_to_bits(float f) { uint32_t w; memcpy(&w, &f, 4); return w; }

// ggml_compute_fp16_to_fp32 / ggml_compute_fp32_to_fp16 (ggml-impl.h): exact, and
// round-to-nearest-even like F16C's vcvtps2ph with imm 0.
static inline float fp16_to_fp32(uint16_t h) {
    const uint32_t w = (uint32_t)h << 16;
    const uint32_t sign = w & UINT32_C(0x80000000);
    const uint32_t two_w = w + w;
    const uint32_t exp_offset = UINT32_C(0xE0) << 23;
    const float normalized_value = fp32_from_bits((two_w >> 4) + exp_offset) * 0x1.0p-112f;
    const uint32_t magic_mask = UINT32_C(126) << 23;
    const float denormalized_value = fp32_from_bits((two_w >> 17) | magic_mask) - 0.5f;
    const uint32_t denormalized_cutoff = UINT32_C(1) << 27;
    const uint32_t result = sign |
        (two_w < denormalized_cutoff ? fp32_to_bits(denormalized_value) : fp32_to_bits(normalized_value));
    return fp32_from_bits(result);
}

static inline uint16_t fp32_to_fp16(float f) {
    float base = (fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = fp32_to_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & UINT32_C(0x80000000);
    uint32_t bias = shl1_w & UINT32_C(0xFF000000);
    if (bias < UINT32_C(0x71000000)) bias = UINT32_C(0x71000000);
    base = fp32_from_bits((bias >> 1) + UINT32_C(0x07800000)) + base;
    const uint32_t bits = fp32_to_bits(base);
    const uint32_t exp_bits = (bits >> 13) & UINT32_C(0x00007C00);
    const uint32_t mantissa_bits = bits & UINT32_C(0x00000FFF);
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > UINT32_C(0xFF000000) ? UINT16_C(0x7E00) : nonsign));
}

void agora_q8_0_quantize(const float *x, int64_t rows, int64_t cols, agora_block_q8_0 *out) {
    const int64_t nb = rows * (cols / 32);
    for (int64_t i = 0; i < nb; i++) {
        const float *v = x + i * 32;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            const float a = fabsf(v[j]);
            amax = a > amax ? a : amax;
        }
        const float d = amax / 127.f;
        out[i].d = fp32_to_fp16(d);
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        for (int j = 0; j < 32; j++) {
            // rintf rounds to nearest even in the default rounding mode, as _mm256_round_ps does.
            float q = rintf(v[j] * id);
            q = q > 127.f ? 127.f : (q < -128.f ? -128.f : q);
            out[i].qs[j] = (int8_t)q;
        }
    }
}

/// ggml's hsum_float_8 on lanes a[0..7].
static inline float hsum8(const float *a) {
    const float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    const float s0 = r0 + r2, s1 = r1 + r3;
    return s0 + s1;
}

static void logits_reference(const agora_block_q8_0 *w, int64_t row_begin, int64_t row_end, int64_t blocks,
                             const agora_block_q8_0 *h, int64_t positions, float *out, int64_t out_stride) {
    for (int64_t p = 0; p < positions; p++) {
        const agora_block_q8_0 *y = h + p * blocks;
        for (int64_t r = row_begin; r < row_end; r++) {
            const agora_block_q8_0 *x = w + r * blocks;
            float acc[8] = {0};
            for (int64_t b = 0; b < blocks; b++) {
                const float d = fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d);
                for (int l = 0; l < 8; l++) {
                    int32_t s = 0;
                    for (int k = 0; k < 4; k++) s += (int32_t)x[b].qs[4 * l + k] * (int32_t)y[b].qs[4 * l + k];
                    acc[l] = fmaf(d, (float)s, acc[l]);
                }
            }
            out[p * out_stride + r] = hsum8(acc);
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AGORA_HAVE_FAST 1
#define FAST_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))
#define AVX2_TARGET __attribute__((target("avx2,f16c,fma")))

int agora_output_layer_best_kernel(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return AGORA_KERNEL_AVX512_VNNI;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return AGORA_KERNEL_AVX2;
    return AGORA_KERNEL_REFERENCE;
}

enum { KR = 4, KQ = 4 };

/// Hidden rows laid out for the kernel: for four positions and a block, each position's 32
/// signed bytes, per lane the correction −128·Σh over the lane's 4 bytes, and the four scales
/// each repeated four times ([dh0 ×4, dh1 ×4, dh2 ×4, dh3 ×4], to meet the four rows' scales in
/// one multiplication). vpdpbusd multiplies unsigned by signed bytes, so the kernel feeds it
/// w+128 (w XOR 0x80) and starts each sum at the correction: Σ(w+128)·h − 128·Σh = Σw·h,
/// exactly.
typedef struct {
    int8_t q[KQ][32];
    int32_t corr[KQ][8];
    float d[KQ * KR];
} quad_block;

/// One step of the kernel: row i's block against position j's, with the block's scale
/// product dw_i·dh_j read from `pd` (lane 4j+i) as an embedded broadcast. Each lane gets
/// fma(dw·dh, Σ of its 4 products, acc), as in ggml's AVX2 loop.
#define STEP(i, j) acc##i##j = _mm256_fmadd_ps(_mm256_broadcast_ss(pd + 16 * (b - b0) + 4 * j + i), \
    _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(hc##j, wu##i, hq##j)), acc##i##j)
#define LOADW(i) const __m256i wu##i = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x##i[b].qs), bias);
#define LOADH(j) \
    const __m256i hq##j = _mm256_load_si256((const __m256i *)qb->q[j]); \
    const __m256i hc##j = _mm256_load_si256((const __m256i *)qb->corr[j]);
/// ggml's hsum_float_8 of an accumulator, stored when its position exists.
#define STORE(i, j) do { \
        const int64_t p = quad * KQ + j; \
        if (p < positions) { \
            float lanes[8]; \
            _mm256_storeu_ps(lanes, acc##i##j); \
            out[p * out_stride + r0 + i - roff] = hsum8(lanes); \
        } \
    } while (0)
#define ZERO(i) __m256 acc##i##0 = _mm256_setzero_ps(), acc##i##1 = _mm256_setzero_ps(), \
    acc##i##2 = _mm256_setzero_ps(), acc##i##3 = _mm256_setzero_ps();

/// Scale products for block b of a chunk from b0: lane 4j+i of pd[16(b−b0)…] holds dw_i·dh_j, one IEEE
/// multiplication each, as ggml's fp16→fp32(x.d) * fp16→fp32(y.d). They are computed in a
/// pass of their own so that the main loop reads each as a broadcast from memory, with no
/// shuffles.
#define PRODUCTS(dw16) \
    _mm512_store_ps(pd + 16 * (b - b0), _mm512_mul_ps(dw16, _mm512_load_ps(hp[quad * blocks + b].d)));
enum { MAX_BLOCKS = 64 };

/// 4 rows × 4 positions with every accumulator in a register. Blocks go in chunks of
/// MAX_BLOCKS, each chunk's scale products first.
FAST_TARGET
static void kernel_main(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
                        int64_t quad, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    const agora_block_q8_0 *x0 = w + r0 * blocks, *x1 = x0 + blocks, *x2 = x1 + blocks, *x3 = x2 + blocks;
    _Alignas(64) float pd[16 * MAX_BLOCKS];
    ZERO(0) ZERO(1) ZERO(2) ZERO(3)
    for (int64_t b0 = 0; b0 < blocks; b0 += MAX_BLOCKS) {
        const int64_t b1 = blocks - b0 < MAX_BLOCKS ? blocks : b0 + MAX_BLOCKS;
        for (int64_t b = b0; b < b1; b++) {
            const __m128i d4 = _mm_setr_epi16((short)x0[b].d, (short)x1[b].d, (short)x2[b].d, (short)x3[b].d, 0, 0, 0, 0);
            PRODUCTS(_mm512_broadcast_f32x4(_mm_cvtph_ps(d4)))
        }
        for (int64_t b = b0; b < b1; b++) {
            const quad_block *qb = hp + quad * blocks + b;
            LOADH(0) LOADH(1) LOADH(2) LOADH(3)
            LOADW(0) STEP(0, 0); STEP(0, 1); STEP(0, 2); STEP(0, 3);
            LOADW(1) STEP(1, 0); STEP(1, 1); STEP(1, 2); STEP(1, 3);
            LOADW(2) STEP(2, 0); STEP(2, 1); STEP(2, 2); STEP(2, 3);
            LOADW(3) STEP(3, 0); STEP(3, 1); STEP(3, 2); STEP(3, 3);
        }
    }
    STORE(0, 0); STORE(0, 1); STORE(0, 2); STORE(0, 3); STORE(1, 0); STORE(1, 1); STORE(1, 2); STORE(1, 3);
    STORE(2, 0); STORE(2, 1); STORE(2, 2); STORE(2, 3); STORE(3, 0); STORE(3, 1); STORE(3, 2); STORE(3, 3);
}

/// One row × 4 positions, for the edges of the tiling.
FAST_TARGET
static void kernel_1x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
                       int64_t quad, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    const agora_block_q8_0 *x0 = w + r0 * blocks;
    _Alignas(64) float pd[16 * MAX_BLOCKS];
    ZERO(0)
    for (int64_t b0 = 0; b0 < blocks; b0 += MAX_BLOCKS) {
        const int64_t b1 = blocks - b0 < MAX_BLOCKS ? blocks : b0 + MAX_BLOCKS;
        for (int64_t b = b0; b < b1; b++) PRODUCTS(_mm512_set1_ps(_cvtsh_ss(x0[b].d)))
        for (int64_t b = b0; b < b1; b++) {
            const quad_block *qb = hp + quad * blocks + b;
            LOADH(0) LOADH(1) LOADH(2) LOADH(3)
            LOADW(0) STEP(0, 0); STEP(0, 1); STEP(0, 2); STEP(0, 3);
        }
    }
    STORE(0, 0); STORE(0, 1); STORE(0, 2); STORE(0, 3);
}

/// Packs `positions` hidden rows into `hp` ((positions + 3) / 4 quads × blocks); missing
/// positions of the last quad are zeros.
AVX2_TARGET
static void pack_quads(const agora_block_q8_0 *h, int64_t positions, int64_t blocks, quad_block *hp) {
    const int64_t quads = (positions + KQ - 1) / KQ;
    for (int64_t j = 0; j < quads; j++) {
        for (int64_t b = 0; b < blocks; b++) {
            quad_block *qb = hp + j * blocks + b;
            memset(qb, 0, sizeof *qb);
            for (int k = 0; k < KQ; k++) {
                const int64_t p = j * KQ + k;
                if (p >= positions) continue;
                const agora_block_q8_0 *y = h + p * blocks + b;
                memcpy(qb->q[k], y->qs, 32);
                const float dh = _cvtsh_ss(y->d);
                for (int i = 0; i < KR; i++) qb->d[k * KR + i] = dh;
                for (int l = 0; l < 8; l++)
                    qb->corr[k][l] = -128 * (y->qs[4 * l] + y->qs[4 * l + 1] + y->qs[4 * l + 2] + y->qs[4 * l + 3]);
            }
        }
    }
}

/// Logits of rows [t0, t1) (at most one tile of 64) for the packed positions, into
/// out[p * out_stride + r - roff].
FAST_TARGET
static void compute_tile(const agora_block_q8_0 *w, int64_t t0, int64_t t1, int64_t blocks, const quad_block *hp,
                         int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const int64_t quads = (positions + KQ - 1) / KQ;
    for (int64_t j = 0; j < quads; j++) {
        int64_t r = t0;
        for (; r + KR <= t1; r += KR) kernel_main(w, r, blocks, hp, j, positions, out, out_stride, roff);
        for (; r < t1; r++) kernel_1x4(w, r, blocks, hp, j, positions, out, out_stride, roff);
    }
}

/// The AVX2 kernel: ggml's own integer steps (|w| times h with w's sign, pairs summed to 16
/// bits, then to 32), 2 rows × 4 positions (AVX2 has 16 vector registers), and the same scale
/// products read back as broadcasts.
#define STEP2(i, j) acc##i##j = _mm256_fmadd_ps(_mm256_broadcast_ss(pd + 16 * (b - b0) + 4 * j + i), \
    _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, _mm256_maddubs_epi16(aw##i, _mm256_sign_epi8(hq##j, w##i)))), acc##i##j)
#define LOADW2(i) \
    const __m256i w##i = _mm256_loadu_si256((const __m256i *)x##i[b].qs); \
    const __m256i aw##i = _mm256_sign_epi8(w##i, w##i);
#define LOADH2(j) const __m256i hq##j = _mm256_load_si256((const __m256i *)qb->q[j]);
/// Scale products for a kernel of up to 2 rows: `dw4` = [dw0, dw1, dw0, dw1] fills lanes 4j+i.
#define PRODUCTS2(dw4) do { \
        const __m256 dw8 = _mm256_set_m128(dw4, dw4); \
        const float *dh = hp[quad * blocks + b].d; \
        _mm256_store_ps(pd + 16 * (b - b0), _mm256_mul_ps(dw8, _mm256_load_ps(dh))); \
        _mm256_store_ps(pd + 16 * (b - b0) + 8, _mm256_mul_ps(dw8, _mm256_load_ps(dh + 8))); \
    } while (0)

/// 2 rows × 4 positions.
AVX2_TARGET
static void kernel_avx2_2x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
                            int64_t quad, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const __m256i ones = _mm256_set1_epi16(1);
    const agora_block_q8_0 *x0 = w + r0 * blocks, *x1 = x0 + blocks;
    _Alignas(64) float pd[16 * MAX_BLOCKS];
    ZERO(0) ZERO(1)
    for (int64_t b0 = 0; b0 < blocks; b0 += MAX_BLOCKS) {
        const int64_t b1 = blocks - b0 < MAX_BLOCKS ? blocks : b0 + MAX_BLOCKS;
        for (int64_t b = b0; b < b1; b++)
            PRODUCTS2(_mm_cvtph_ps(_mm_setr_epi16((short)x0[b].d, (short)x1[b].d, (short)x0[b].d, (short)x1[b].d, 0, 0, 0, 0)));
        for (int64_t b = b0; b < b1; b++) {
            const quad_block *qb = hp + quad * blocks + b;
            LOADW2(0) LOADW2(1)
            { LOADH2(0) STEP2(0, 0); STEP2(1, 0); }
            { LOADH2(1) STEP2(0, 1); STEP2(1, 1); }
            { LOADH2(2) STEP2(0, 2); STEP2(1, 2); }
            { LOADH2(3) STEP2(0, 3); STEP2(1, 3); }
        }
    }
    STORE(0, 0); STORE(0, 1); STORE(0, 2); STORE(0, 3); STORE(1, 0); STORE(1, 1); STORE(1, 2); STORE(1, 3);
}

/// One row × 4 positions.
AVX2_TARGET
static void kernel_avx2_1x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
                            int64_t quad, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const __m256i ones = _mm256_set1_epi16(1);
    const agora_block_q8_0 *x0 = w + r0 * blocks;
    _Alignas(64) float pd[16 * MAX_BLOCKS];
    ZERO(0)
    for (int64_t b0 = 0; b0 < blocks; b0 += MAX_BLOCKS) {
        const int64_t b1 = blocks - b0 < MAX_BLOCKS ? blocks : b0 + MAX_BLOCKS;
        for (int64_t b = b0; b < b1; b++) PRODUCTS2(_mm_set1_ps(_cvtsh_ss(x0[b].d)));
        for (int64_t b = b0; b < b1; b++) {
            const quad_block *qb = hp + quad * blocks + b;
            LOADW2(0)
            { LOADH2(0) STEP2(0, 0); }
            { LOADH2(1) STEP2(0, 1); }
            { LOADH2(2) STEP2(0, 2); }
            { LOADH2(3) STEP2(0, 3); }
        }
    }
    STORE(0, 0); STORE(0, 1); STORE(0, 2); STORE(0, 3);
}

/// `compute_tile` with the AVX2 kernel.
AVX2_TARGET
static void compute_tile_avx2(const agora_block_q8_0 *w, int64_t t0, int64_t t1, int64_t blocks, const quad_block *hp,
                              int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const int64_t quads = (positions + KQ - 1) / KQ;
    for (int64_t j = 0; j < quads; j++) {
        int64_t r = t0;
        for (; r + 2 <= t1; r += 2) kernel_avx2_2x4(w, r, blocks, hp, j, positions, out, out_stride, roff);
        for (; r < t1; r++) kernel_avx2_1x4(w, r, blocks, hp, j, positions, out, out_stride, roff);
    }
}

/// Runs the tile with `kernel` (AVX2 or AVX-512 VNNI).
static void run_tile(int kernel, const agora_block_q8_0 *w, int64_t t0, int64_t t1, int64_t blocks,
                     const quad_block *hp, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    if (kernel == AGORA_KERNEL_AVX512_VNNI) compute_tile(w, t0, t1, blocks, hp, positions, out, out_stride, roff);
    else compute_tile_avx2(w, t0, t1, blocks, hp, positions, out, out_stride, roff);
}
#else
int agora_output_layer_best_kernel(void) { return AGORA_KERNEL_REFERENCE; }
#endif

enum { CHUNK = 64, TILE = 64 };

/// The kernel a call asking for `kernel` gets: that one when this CPU runs it, else the
/// scalar reference.
static int effective_kernel(int kernel) {
    if (kernel != AGORA_KERNEL_AVX2 && kernel != AGORA_KERNEL_AVX512_VNNI) return AGORA_KERNEL_REFERENCE;
    const int best = agora_output_layer_best_kernel();
    return kernel <= best ? kernel : AGORA_KERNEL_REFERENCE;
}

int agora_q8_0_logits(const agora_block_q8_0 *w, int64_t row_begin, int64_t row_end, int64_t blocks,
                      const agora_block_q8_0 *h, int64_t positions, float *out, int64_t out_stride, int kernel) {
    if (positions <= 0 || row_end <= row_begin) return 0;
    kernel = effective_kernel(kernel);
#ifdef AGORA_HAVE_FAST
    if (kernel != AGORA_KERNEL_REFERENCE) {
        // Positions in chunks, so the packed copy stays small (16 quads × blocks × 320 bytes).
        quad_block *hp = (quad_block *)aligned_alloc(64, (size_t)(CHUNK / KQ) * (size_t)blocks * sizeof(quad_block));
        if (!hp) return -1;
        for (int64_t p0 = 0; p0 < positions; p0 += CHUNK) {
            const int64_t n = positions - p0 < CHUNK ? positions - p0 : CHUNK;
            pack_quads(h + p0 * blocks, n, blocks, hp);
            // Rows in tiles that stay in L1 while every group of positions passes over them.
            for (int64_t t0 = row_begin; t0 < row_end; t0 += TILE) {
                const int64_t t1 = t0 + TILE < row_end ? t0 + TILE : row_end;
                run_tile(kernel, w, t0, t1, blocks, hp, n, out + p0 * out_stride, out_stride, 0);
            }
        }
        free(hp);
        return 0;
    }
#endif
    logits_reference(w, row_begin, row_end, blocks, h, positions, out, out_stride);
    return 0;
}

int agora_q8_0_argmax(const agora_block_q8_0 *w, int64_t row_begin, int64_t row_end, int64_t blocks,
                      const agora_block_q8_0 *h, int64_t positions, const int32_t *claimed,
                      int32_t *best_row, float *best_value, float *claimed_value, int kernel) {
    for (int64_t p = 0; p < positions; p++) { best_row[p] = -1; best_value[p] = -INFINITY; }
    if (positions <= 0 || row_end <= row_begin) return 0;
    kernel = effective_kernel(kernel);
    const int use_fast = kernel != AGORA_KERNEL_REFERENCE;
    float *tile = (float *)aligned_alloc(64, (size_t)CHUNK * TILE * sizeof(float));
    void *hp = NULL;
#ifdef AGORA_HAVE_FAST
    if (use_fast) hp = aligned_alloc(64, (size_t)(CHUNK / KQ) * (size_t)blocks * sizeof(quad_block));
#endif
    if (!tile || (use_fast && !hp)) { free(tile); free(hp); return -1; }
    for (int64_t p0 = 0; p0 < positions; p0 += CHUNK) {
        const int64_t n = positions - p0 < CHUNK ? positions - p0 : CHUNK;
#ifdef AGORA_HAVE_FAST
        if (use_fast) pack_quads(h + p0 * blocks, n, blocks, (quad_block *)hp);
#endif
        for (int64_t t0 = row_begin; t0 < row_end; t0 += TILE) {
            const int64_t t1 = t0 + TILE < row_end ? t0 + TILE : row_end;
#ifdef AGORA_HAVE_FAST
            if (use_fast) run_tile(kernel, w, t0, t1, blocks, (const quad_block *)hp, n, tile, TILE, t0);
            else
#endif
            {
                for (int64_t p = 0; p < n; p++)
                    logits_reference(w + t0 * blocks, 0, t1 - t0, blocks, h + (p0 + p) * blocks, 1, tile + p * TILE, TILE);
            }
            for (int64_t p = 0; p < n; p++) {
                const float *row = tile + p * TILE;
                float best = best_value[p0 + p];
                int32_t at = best_row[p0 + p];
                // Rows in increasing order and a strict comparison: ties keep the lower row.
                for (int64_t r = t0; r < t1; r++) {
                    if (row[r - t0] > best) { best = row[r - t0]; at = (int32_t)r; }
                }
                best_value[p0 + p] = best;
                best_row[p0 + p] = at;
                const int64_t c = claimed[p0 + p];
                if (c >= t0 && c < t1) claimed_value[p0 + p] = row[c - t0];
            }
        }
    }
    free(tile);
    free(hp);
    return 0;
}
