// llama.cpp's graph evaluation callback for the engine's own output layer (OutputLayer.swift).
#include "output_capture.h"

#include <ggml.h>
#include <ggml-backend.h>
#include <stdlib.h>
#include <string.h>

struct agora_output_capture {
    int mode;            // 0 idle, 1 capture, 2 capture and stop after the final norm
    int failed;
    int64_t embedding;
    float *rows;
    int64_t count;       // rows captured
    int64_t capacity;    // rows that fit in `rows`
    const void *weights;
    int64_t weight_rows;
};

agora_output_capture *agora_output_capture_new(int64_t embedding) {
    agora_output_capture *c = calloc(1, sizeof *c);
    if (c) c->embedding = embedding;
    return c;
}

void agora_output_capture_free(agora_output_capture *c) {
    if (!c) return;
    free(c->rows);
    free(c);
}

void agora_output_capture_begin(agora_output_capture *c, bool stop) {
    c->count = 0;
    c->failed = 0;
    c->mode = stop ? 2 : 1;
}

int64_t agora_output_capture_end(agora_output_capture *c) {
    c->mode = 0;
    return c->failed ? -1 : c->count;
}

const float *agora_output_capture_rows(const agora_output_capture *c) { return c->rows; }

const void *agora_output_capture_weights(const agora_output_capture *c, int64_t *rows, int64_t *blocks) {
    if (!c->weights) return NULL;
    *rows = c->weight_rows;
    *blocks = c->embedding / 32;
    return c->weights;
}

static void locate(agora_output_capture *c, const struct ggml_tensor *t) {
    const struct ggml_tensor *w = t->src[0];
    if (c->weights || t->op != GGML_OP_MUL_MAT || !w) return;
    if (w->type != GGML_TYPE_Q8_0 || w->ne[0] != c->embedding || c->embedding % 32 != 0) return;
    if (w->nb[1] != (size_t)(c->embedding / 32) * 34 || w->ne[2] != 1 || w->ne[3] != 1) return;
    if (!w->data || !w->buffer || !ggml_backend_buffer_is_host(w->buffer)) return;
    c->weights = w->data;
    c->weight_rows = w->ne[1];
}

static bool take(agora_output_capture *c, const struct ggml_tensor *t) {
    const int64_t n = t->ne[1];
    if (t->type != GGML_TYPE_F32 || t->ne[0] != c->embedding || t->nb[0] != 4 ||
        t->nb[1] != (size_t)c->embedding * 4 || t->ne[2] != 1 || t->ne[3] != 1 || (n > 0 && !t->data)) {
        return false;
    }
    if (c->count + n > c->capacity) {
        int64_t cap = c->capacity ? c->capacity : 64;
        while (cap < c->count + n) cap *= 2;
        float *grown = realloc(c->rows, (size_t)cap * (size_t)c->embedding * sizeof(float));
        if (!grown) return false;
        c->rows = grown;
        c->capacity = cap;
    }
    if (n > 0) memcpy(c->rows + c->count * c->embedding, t->data, (size_t)n * (size_t)c->embedding * sizeof(float));
    c->count += n;
    return true;
}

bool agora_output_capture_callback(struct ggml_tensor *t, bool ask, void *user_data) {
    agora_output_capture *c = user_data;
    if (!c || c->mode == 0 || !t) return false;
    const bool is_norm = strcmp(t->name, "result_norm") == 0;
    if (ask) {
        if (!is_norm && strcmp(t->name, "result_output") == 0) locate(c, t);
        return is_norm;
    }
    if (!is_norm) return true;
    if (c->failed || !take(c, t)) {
        // A layout the kernel cannot read: let the graph run to its end; the caller sees -1.
        c->failed = 1;
        return true;
    }
    return c->mode != 2;
}
