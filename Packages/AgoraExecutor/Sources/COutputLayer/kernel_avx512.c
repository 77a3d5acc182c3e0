// The AVX-512 VNNI kernel of the output layer (see output_layer.h for what it computes): one
// 256-bit vpdpbusd per 32 products, and each block's scale product computed once and read back
// as a broadcast, so a block costs three 8-lane operations (dot, convert, fma) per row and
// position.
#include "output_layer_kernels.h"

#ifdef AGORA_HAVE_FAST

/// One step of the kernel: row i's block against position j's, with the block's scale
/// product dw_i·dh_j read from `pd` (lane 4j+i) as an embedded broadcast. Each lane gets
/// fma(dw·dh, Σ of its 4 products, acc), as in ggml's AVX2 loop.
#define STEP(i, j) acc##i##j = _mm256_fmadd_ps(_mm256_broadcast_ss(pd + 16 * (b - b0) + 4 * j + i), \
    _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(hc##j, wu##i, hq##j)), acc##i##j)
#define LOADW(i) const __m256i wu##i = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x##i[b].qs), bias);
#define LOADH(j) \
    const __m256i hq##j = _mm256_load_si256((const __m256i *)qb->q[j]); \
    const __m256i hc##j = _mm256_load_si256((const __m256i *)qb->corr[j]);

/// Scale products for block b of a chunk from b0: lane 4j+i of pd[16(b−b0)…] holds dw_i·dh_j, one IEEE
/// multiplication each, as ggml's fp16→fp32(x.d) * fp16→fp32(y.d). They are computed in a
/// pass of their own so that the main loop reads each as a broadcast from memory, with no
/// shuffles.
#define PRODUCTS(dw16) \
    _mm512_store_ps(pd + 16 * (b - b0), _mm512_mul_ps(dw16, _mm512_load_ps(hp[quad * blocks + b].d)));

/// 4 rows × 4 positions with every accumulator in a register. Blocks go in chunks of
/// MAX_BLOCKS, each chunk's scale products first.
FAST_TARGET
void agora_kernel_avx512_4x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
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
void agora_kernel_avx512_1x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
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
#endif
