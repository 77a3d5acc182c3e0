// The AVX2 kernel of the output layer (see output_layer.h for what it computes), for CPUs
// without AVX-512 VNNI: ggml's own integer steps (|w| times h with w's sign, pairs summed to 16
// bits, then to 32), tiles of 2 rows × 4 positions (AVX2 has 16 vector registers), and the
// scale products computed once per block and read back as broadcasts, as in kernel_avx512.c.
#include "output_layer_kernels.h"

#ifdef AGORA_HAVE_FAST

/// One step: row i's block against position j's.
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
void agora_kernel_avx2_2x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
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
void agora_kernel_avx2_1x4(const agora_block_q8_0 *w, int64_t r0, int64_t blocks, const quad_block *hp,
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
#endif
