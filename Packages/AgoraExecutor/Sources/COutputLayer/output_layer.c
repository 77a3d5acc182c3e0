// The output layer (lm_head) of a Q8_0 model, computed bit-identically to ggml's x86 AVX2
// path, with an AVX-512 VNNI kernel that does the integer dots four times as wide.
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

int agora_output_layer_fast_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

enum { KR = 4, KP = 4 };

/// Hidden rows laid out for the kernel: for a pair of positions and a block, 64 signed bytes
/// (position 2j's 32, then 2j+1's), 16 floats of scales (8 × dh(2j), 8 × dh(2j+1)), and per
/// lane the correction −128·Σh over the lane's 4 bytes. vpdpbusd multiplies unsigned by
/// signed bytes, so the kernel feeds it w+128 (w XOR 0x80) and starts each sum at the
/// correction: Σ(w+128)·h − 128·Σh = Σw·h, exactly.
typedef struct {
    int8_t q[64];
    float d[16];
    int32_t corr[16];
} pair_block;

/// One step of the kernel: row i's block against position pair j's block.
#define STEP(i, j) acc##i##j = _mm512_fmadd_ps(_mm512_mul_ps(dw##i, hd##j), \
    _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(hc##j, wu##i, hq##j)), acc##i##j)
/// Row i's weight block as unsigned bytes (twice, one per position of a pair) and its scale.
#define LOADW(i) \
    const agora_block_q8_0 *x##i = w + (r0 + i) * blocks + b; \
    const __m512i wu##i = _mm512_xor_si512(_mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)x##i->qs)), bias); \
    const __m512 dw##i = _mm512_set1_ps(_cvtsh_ss(x##i->d));
#define LOADH(j) \
    const pair_block *pb##j = hp + (pair0 + j) * blocks + b; \
    const __m512i hq##j = _mm512_load_si512((const void *)pb##j->q); \
    const __m512 hd##j = _mm512_load_ps(pb##j->d); \
    const __m512i hc##j = _mm512_load_si512((const void *)pb##j->corr);
/// ggml's hsum_float_8 on both 8-lane halves at once: lane i + lane i+4, then pairs two apart,
/// then neighbours, so lane 0 of each half holds ((a0+a4)+(a2+a6))+((a1+a5)+(a3+a7)). (Each
/// sum has the same two operands as ggml's; IEEE addition is commutative.)
#define STORE(i, j) do { \
        const __m512 s4 = _mm512_add_ps(acc##i##j, _mm512_shuffle_f32x4(acc##i##j, acc##i##j, 0xB1)); \
        const __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, 0x4E)); \
        const __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, 0xB1)); \
        float lanes[16]; \
        _mm512_storeu_ps(lanes, s1); \
        const int64_t p = (pair0 + j) * 2; \
        out[p * out_stride + r0 + i - roff] = lanes[0]; \
        if (p + 1 < positions) out[(p + 1) * out_stride + r0 + i - roff] = lanes[8]; \
    } while (0)

/// 4 rows × 4 position pairs with every accumulator in a register.
FAST_TARGET
static void kernel_main(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const pair_block *hp,
                       int64_t pair0, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    __m512 acc00 = _mm512_setzero_ps(), acc01 = _mm512_setzero_ps(), acc02 = _mm512_setzero_ps(), acc03 = _mm512_setzero_ps(), acc10 = _mm512_setzero_ps(), acc11 = _mm512_setzero_ps(), acc12 = _mm512_setzero_ps(), acc13 = _mm512_setzero_ps(), acc20 = _mm512_setzero_ps(), acc21 = _mm512_setzero_ps(), acc22 = _mm512_setzero_ps(), acc23 = _mm512_setzero_ps(), acc30 = _mm512_setzero_ps(), acc31 = _mm512_setzero_ps(), acc32 = _mm512_setzero_ps(), acc33 = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        LOADH(0) LOADH(1) LOADH(2) LOADH(3)
        LOADW(0) STEP(0, 0); STEP(0, 1); STEP(0, 2); STEP(0, 3);
        LOADW(1) STEP(1, 0); STEP(1, 1); STEP(1, 2); STEP(1, 3);
        LOADW(2) STEP(2, 0); STEP(2, 1); STEP(2, 2); STEP(2, 3);
        LOADW(3) STEP(3, 0); STEP(3, 1); STEP(3, 2); STEP(3, 3);
    }
    STORE(0, 0); STORE(0, 1); STORE(0, 2); STORE(0, 3); STORE(1, 0); STORE(1, 1); STORE(1, 2); STORE(1, 3); STORE(2, 0); STORE(2, 1); STORE(2, 2); STORE(2, 3); STORE(3, 0); STORE(3, 1); STORE(3, 2); STORE(3, 3);
}

/// One row × one position pair, for the edges of the tiling.
FAST_TARGET
static void kernel_1x1(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const pair_block *hp,
                       int64_t pair0, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    __m512 acc00 = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        LOADH(0)
        LOADW(0) STEP(0, 0);
    }
    STORE(0, 0);
}

/// Packs `positions` hidden rows into `hp` ((positions + 1) / 2 pairs × blocks).
FAST_TARGET
static void pack_pairs(const agora_block_q8_0 *h, int64_t positions, int64_t blocks, pair_block *hp) {
    const int64_t pairs = (positions + 1) / 2;
    for (int64_t j = 0; j < pairs; j++) {
        for (int64_t b = 0; b < blocks; b++) {
            pair_block *pb = hp + j * blocks + b;
            for (int half = 0; half < 2; half++) {
                const int64_t p = 2 * j + half;
                if (p < positions) {
                    const agora_block_q8_0 *y = h + p * blocks + b;
                    memcpy(pb->q + half * 32, y->qs, 32);
                    const float dh = _cvtsh_ss(y->d);
                    for (int k = 0; k < 8; k++) {
                        pb->d[half * 8 + k] = dh;
                        pb->corr[half * 8 + k] = -128 * (y->qs[4 * k] + y->qs[4 * k + 1] + y->qs[4 * k + 2] + y->qs[4 * k + 3]);
                    }
                } else {
                    memset(pb->q + half * 32, 0, 32);
                    for (int k = 0; k < 8; k++) { pb->d[half * 8 + k] = 0.0f; pb->corr[half * 8 + k] = 0; }
                }
            }
        }
    }
}

/// Logits of rows [t0, t1) (at most one tile of 64) for the packed positions, into
/// out[p * out_stride + r - roff].
FAST_TARGET
static void compute_tile(const agora_block_q8_0 *w, int64_t t0, int64_t t1, int64_t blocks, const pair_block *hp,
                         int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const int64_t pairs = (positions + 1) / 2;
    int64_t j = 0;
    for (; j + KP <= pairs; j += KP) {
        int64_t r = t0;
        for (; r + KR <= t1; r += KR) kernel_main(w, r, blocks, hp, j, positions, out, out_stride, roff);
        for (; r < t1; r++)
            for (int64_t k = 0; k < KP; k++) kernel_1x1(w, r, blocks, hp, j + k, positions, out, out_stride, roff);
    }
    for (; j < pairs; j++)
        for (int64_t r = t0; r < t1; r++) kernel_1x1(w, r, blocks, hp, j, positions, out, out_stride, roff);
}
#else
int agora_output_layer_fast_available(void) { return 0; }
#endif

enum { CHUNK = 64, TILE = 64 };

/// Whether a call asking for the fast kernel (`fast`) gets it on this CPU.
static int use_fast_kernel(int fast) {
#ifdef AGORA_HAVE_FAST
    return fast && agora_output_layer_fast_available();
#else
    (void)fast;
    return 0;
#endif
}

int agora_q8_0_logits(const agora_block_q8_0 *w, int64_t row_begin, int64_t row_end, int64_t blocks,
                      const agora_block_q8_0 *h, int64_t positions, float *out, int64_t out_stride, int fast) {
    if (positions <= 0 || row_end <= row_begin) return 0;
#ifdef AGORA_HAVE_FAST
    if (use_fast_kernel(fast)) {
        // Positions in chunks, so the packed copy stays small (32 pairs × blocks × 192 bytes).
        pair_block *hp = (pair_block *)aligned_alloc(64, (size_t)(CHUNK / 2) * (size_t)blocks * sizeof(pair_block));
        if (!hp) return -1;
        for (int64_t p0 = 0; p0 < positions; p0 += CHUNK) {
            const int64_t n = positions - p0 < CHUNK ? positions - p0 : CHUNK;
            pack_pairs(h + p0 * blocks, n, blocks, hp);
            // Rows in tiles that stay in L1 while every position pair passes over them.
            for (int64_t t0 = row_begin; t0 < row_end; t0 += TILE) {
                const int64_t t1 = t0 + TILE < row_end ? t0 + TILE : row_end;
                compute_tile(w, t0, t1, blocks, hp, n, out + p0 * out_stride, out_stride, 0);
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
                      int32_t *best_row, float *best_value, float *claimed_value, int fast) {
    for (int64_t p = 0; p < positions; p++) { best_row[p] = -1; best_value[p] = -INFINITY; }
    if (positions <= 0 || row_end <= row_begin) return 0;
    const int use_fast = use_fast_kernel(fast);
    float *tile = (float *)aligned_alloc(64, (size_t)CHUNK * TILE * sizeof(float));
    void *hp = NULL;
#ifdef AGORA_HAVE_FAST
    if (use_fast) hp = aligned_alloc(64, (size_t)(CHUNK / 2) * (size_t)blocks * sizeof(pair_block));
#endif
    if (!tile || (use_fast && !hp)) { free(tile); free(hp); return -1; }
    for (int64_t p0 = 0; p0 < positions; p0 += CHUNK) {
        const int64_t n = positions - p0 < CHUNK ? positions - p0 : CHUNK;
#ifdef AGORA_HAVE_FAST
        if (use_fast) pack_pairs(h + p0 * blocks, n, blocks, (pair_block *)hp);
#endif
        for (int64_t t0 = row_begin; t0 < row_end; t0 += TILE) {
            const int64_t t1 = t0 + TILE < row_end ? t0 + TILE : row_end;
#ifdef AGORA_HAVE_FAST
            if (use_fast) compute_tile(w, t0, t1, blocks, (const pair_block *)hp, n, tile, TILE, t0);
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
