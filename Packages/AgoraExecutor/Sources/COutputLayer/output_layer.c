// The output layer (lm_head) of a Q8_0 model, computed bit-identically to ggml's x86 AVX2
// path: ggml's quantisation of the hidden rows, the scalar reference, and the dispatch to the
// kernels (kernel_avx512.c, kernel_avx2.c) over chunks of positions and tiles of rows.
#include "output_layer_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

#ifdef AGORA_HAVE_FAST
int agora_output_layer_best_kernel(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return AGORA_KERNEL_AVX512_VNNI;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return AGORA_KERNEL_AVX2;
    return AGORA_KERNEL_REFERENCE;
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

/// Logits of rows [t0, t1) (at most one tile) for the packed positions, into
/// out[p * out_stride + r - roff], with `kernel` (AVX2 or AVX-512 VNNI): its widest kernel
/// over whole groups of rows, then its 1-row kernel for the rest.
static void run_tile(int kernel, const agora_block_q8_0 *w, int64_t t0, int64_t t1, int64_t blocks,
                     const quad_block *hp, int64_t positions, float *out, int64_t out_stride, int64_t roff) {
    const int wide = kernel == AGORA_KERNEL_AVX512_VNNI;
    agora_kernel *group = wide ? agora_kernel_avx512_4x4 : agora_kernel_avx2_2x4;
    agora_kernel *single = wide ? agora_kernel_avx512_1x4 : agora_kernel_avx2_1x4;
    const int64_t rows = wide ? 4 : 2;
    const int64_t quads = (positions + KQ - 1) / KQ;
    for (int64_t j = 0; j < quads; j++) {
        int64_t r = t0;
        for (; r + rows <= t1; r += rows) group(w, r, blocks, hp, j, positions, out, out_stride, roff);
        for (; r < t1; r++) single(w, r, blocks, hp, j, positions, out, out_stride, roff);
    }
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
