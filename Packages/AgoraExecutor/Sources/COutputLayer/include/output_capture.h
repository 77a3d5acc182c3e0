#ifndef AGORA_OUTPUT_CAPTURE_H
#define AGORA_OUTPUT_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

struct ggml_tensor;

/// What llama.cpp's graph evaluation callback captures for the engine's own output layer:
/// the rows of the final norm (`result_norm`), and where the output weights live. Used only
/// by the thread that calls `llama_decode`. Idle (not capturing), the callback costs one
/// load and a branch per graph node.
typedef struct agora_output_capture agora_output_capture;

/// A capture for hidden rows of `embedding` floats; NULL when out of memory.
agora_output_capture *agora_output_capture_new(int64_t embedding);
void agora_output_capture_free(agora_output_capture *c);

/// Starts capturing for the next decode. With `stop`, the graph is cut after the final norm,
/// so the output layer is not computed (and the decode's own logits are meaningless).
void agora_output_capture_begin(agora_output_capture *c, bool stop);
/// Stops capturing; returns the rows captured, or -1 when a `result_norm` had a layout the
/// kernel cannot read (then the graph ran to its end) or memory ran out.
int64_t agora_output_capture_end(agora_output_capture *c);
/// The captured rows (row-major, `embedding` floats each).
const float *agora_output_capture_rows(const agora_output_capture *c);
/// The output weights seen in a `result_output` node during a capture without `stop`, if
/// they are a host-memory Q8_0 matrix with rows of `embedding`: their data, row count and
/// blocks per row; NULL otherwise.
const void *agora_output_capture_weights(const agora_output_capture *c, int64_t *rows, int64_t *blocks);

/// The `ggml_backend_sched_eval_callback`; `user_data` is the `agora_output_capture`.
bool agora_output_capture_callback(struct ggml_tensor *t, bool ask, void *user_data);

#endif
