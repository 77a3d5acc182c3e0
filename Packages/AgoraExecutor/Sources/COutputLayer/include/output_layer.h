#ifndef AGORA_OUTPUT_LAYER_H
#define AGORA_OUTPUT_LAYER_H

#include <stdint.h>

/// A ggml Q8_0 block: an fp16 scale and 32 signed bytes (34 bytes, as in ggml-common.h).
typedef struct {
    uint16_t d;
    int8_t qs[32];
} agora_block_q8_0;

/// Quantises `rows` rows of `cols` floats (cols a multiple of 32) into Q8_0 blocks exactly as
/// ggml's x86 `quantize_row_q8_0` does (scale max|x|/127 stored as fp16, values rounded to
/// nearest even). `out` holds rows * cols / 32 blocks.
void agora_q8_0_quantize(const float *x, int64_t rows, int64_t cols, agora_block_q8_0 *out);

/// The kernels: the scalar reference, AVX2 (+FMA, F16C), and AVX-512 VNNI (F, BW, VL, VNNI).
/// Every one gives the same bits.
enum { AGORA_KERNEL_REFERENCE = 0, AGORA_KERNEL_AVX2 = 1, AGORA_KERNEL_AVX512_VNNI = 2 };

/// The fastest kernel this CPU runs.
int agora_output_layer_best_kernel(void);

/// Logits of `positions` quantised hidden rows `h` (each `blocks` blocks) against weight rows
/// `[row_begin, row_end)` of `w` (each `blocks` blocks), written to `out[p * out_stride + r]`.
/// Every value is bit-identical to ggml's AVX2 `ggml_vec_dot_q8_0_q8_0` for that row pair:
/// per block an exact integer dot in 8 lanes of 4 products, `acc = fma(dw*dh, lane, acc)` per
/// lane in block order, then the sum ((a0+a4)+(a2+a6))+((a1+a5)+(a3+a7)).
/// `kernel` (AGORA_KERNEL_…) selects the kernel; one this CPU cannot run gives the reference.
/// (ggml's AVX2 path never saturates: |w| ≤ 128 and |h| ≤ 127 keep each 16-bit pair sum below
/// 32,767, so its integer dots are exact like these.) Returns 0, or -1 when out of memory.
int agora_q8_0_logits(const agora_block_q8_0 *w, int64_t row_begin, int64_t row_end, int64_t blocks,
                      const agora_block_q8_0 *h, int64_t positions, float *out, int64_t out_stride, int kernel);

/// For each of `positions` hidden rows: the arg-max of its logits over weight rows
/// `[row_begin, row_end)` (ties: the lower row) in `best_row` (-1 for an empty range) and
/// `best_value`, and in `claimed_value[p]` the logit of row `claimed[p]` when that row is in the
/// range (left alone otherwise). Every value is the one `agora_q8_0_logits` computes, but no
/// logits are stored: what a greedy check needs, without writing and re-reading the whole
/// vocabulary per position. Returns 0, or -1 when out of memory.
int agora_q8_0_argmax(const agora_block_q8_0 *w, int64_t row_begin, int64_t row_end, int64_t blocks,
                      const agora_block_q8_0 *h, int64_t positions, const int32_t *claimed,
                      int32_t *best_row, float *best_value, float *claimed_value, int kernel);

#endif
