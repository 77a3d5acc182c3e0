// Internal to COutputLayer: what the kernels (kernel_avx512.c, kernel_avx2.c) share with
// the dispatcher (output_layer.c). Not part of the module's public header.
#ifndef AGORA_OUTPUT_LAYER_KERNELS_H
#define AGORA_OUTPUT_LAYER_KERNELS_H

#include "output_layer.h"

#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AGORA_HAVE_FAST 1
#include <immintrin.h>
#define FAST_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))
#define AVX2_TARGET __attribute__((target("avx2,f16c,fma")))
#endif

/// ggml's hsum_float_8 on lanes a[0..7].
static inline float hsum8(const float *a) {
    const float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    const float s0 = r0 + r2, s1 = r1 + r3;
    return s0 + s1;
}

enum { KR = 4, KQ = 4 };

/// Hidden rows laid out for the kernels: for four positions and a block, each position's 32
/// signed bytes, per lane the correction −128·Σh over the lane's 4 bytes, and the four scales
/// each repeated four times ([dh0 ×4, dh1 ×4, dh2 ×4, dh3 ×4], to meet up to four rows' scales
/// in one multiplication). The correction is the AVX-512 kernel's: vpdpbusd multiplies unsigned
/// by signed bytes, so it feeds it w+128 (w XOR 0x80) and starts each sum at the correction:
/// Σ(w+128)·h − 128·Σh = Σw·h, exactly.
typedef struct {
    int8_t q[KQ][32];
    int32_t corr[KQ][8];
    float d[KQ * KR];
} quad_block;

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

/// Blocks per chunk of scale products (a kernel's product buffer lives on its stack).
enum { MAX_BLOCKS = 64 };

#ifdef AGORA_HAVE_FAST
/// A kernel: the logits of `rows` weight rows from r0 against the (up to) four positions of
/// packed quad `quad`, into out[p * out_stride + r - roff] for the positions that exist.
typedef void agora_kernel(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
                          int64_t quad, int64_t positions, float *out, int64_t out_stride, int64_t roff);
/// AVX-512 VNNI (kernel_avx512.c): 4 rows, and 1 row for the edges.
agora_kernel agora_kernel_avx512_4x4, agora_kernel_avx512_1x4;
/// AVX2 (kernel_avx2.c): 2 rows, and 1 row for the edges.
agora_kernel agora_kernel_avx2_2x4, agora_kernel_avx2_1x4;
#endif

#endif
