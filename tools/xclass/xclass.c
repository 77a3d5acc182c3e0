// xclass: cross-arithmetic-class measurement harness for Agora (issue 17).
//
//   xclass generate --model M (--prompt TEXT | --tokens FILE) --n N [--seed S --temp T]
//                   [--threads K] [--dump FILE] --out FILE
//       prefill the prompt in one batch, then decode one token at a time (greedy, or seeded
//       temp+dist sampling); stops after N tokens or at an end-of-generation token.
//   xclass check --model M --in FILE [--threads K] [--dump FILE] --out FILE2
//       teacher-forces prompt+generated tokens of FILE in one batch, logits at every position
//       that predicted a generated token; with FILE's sampling settings, replays the sampler on
//       the check logits and reports how many sampled tokens it would not reproduce.
//   xclass info
//       prints llama_print_system_info().
//   xclass ops --out FILE [--threads K]
//       runs single ggml ops (the model's op types and shapes) on fixed pseudo-random inputs,
//       identical bytes on every class, and writes each op's output: u32 name_len, name,
//       u64 nbytes, bytes. Compare two classes' files with opcmp.py.
//
// Logit file (little endian): "XCLS" u32 version=1, u32 n_prompt, u32 n_gen, u32 n_vocab,
//   u32 seed, f32 temp, i32 prompt[n_prompt], i32 gen[n_gen], f32 logits[n_gen][n_vocab]
//   (row i = the logits from which gen[i] was chosen).
// Dump file (--dump): every tensor the graph computes, in graph order, per llama_decode call:
//   u32 name_len, name, u32 op_desc_len, op_desc, i32 type, i64 ne[4], u64 nbytes, bytes,
//   u32 n_src, then per source u32 len, name.
//
// Context settings are Agora's exactness settings (LlamaWorker.swift): flash attention off,
// kv_unified=false, f16 K/V cache, n_ubatch 512, n_batch = n_ctx.
#include <llama.h>
#include <ggml.h>
#include <ggml-backend.h>
#include <ggml-cpu.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static void die(const char *m) { fprintf(stderr, "xclass: %s\n", m); exit(1); }
static int verbose_log = 0; // XCLASS_VERBOSE=1: llama.cpp's info log too (e.g. "repack: repack tensor ...")
static void quiet_log(enum ggml_log_level level, const char *text, void *ud) {
    (void)ud; if (verbose_log || level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

typedef struct { FILE *f; long n; } dump_t;
static uint8_t *dump_buf = NULL; static size_t dump_cap = 0;

static bool dump_cb(struct ggml_tensor *t, bool ask, void *ud) {
    if (ask) return true;
    dump_t *d = ud;
    size_t nb = ggml_nbytes(t);
    if (nb > dump_cap) { dump_cap = nb; dump_buf = realloc(dump_buf, nb); if (!dump_buf) die("oom"); }
    ggml_backend_tensor_get(t, dump_buf, 0, nb);
    const char *name = ggml_get_name(t), *op = ggml_op_desc(t);
    uint32_t l1 = (uint32_t)strlen(name), l2 = (uint32_t)strlen(op);
    int32_t type = t->type; int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]}; uint64_t n64 = nb;
    fwrite(&l1, 4, 1, d->f); fwrite(name, 1, l1, d->f);
    fwrite(&l2, 4, 1, d->f); fwrite(op, 1, l2, d->f);
    fwrite(&type, 4, 1, d->f); fwrite(ne, 8, 4, d->f); fwrite(&n64, 8, 1, d->f);
    fwrite(dump_buf, 1, nb, d->f);
    uint32_t ns = 0; while (ns < GGML_MAX_SRC && t->src[ns]) ns++;
    fwrite(&ns, 4, 1, d->f);
    for (uint32_t k = 0; k < ns; k++) {
        const char *sn = ggml_get_name(t->src[k]); uint32_t l = (uint32_t)strlen(sn);
        fwrite(&l, 4, 1, d->f); fwrite(sn, 1, l, d->f);
    }
    d->n++;
    return true;
}

typedef struct {
    uint32_t n_prompt, n_gen, n_vocab, seed; float temp;
    int32_t *prompt, *gen; float *logits;
} xfile_t;

static void write_file(const char *path, const xfile_t *x) {
    FILE *f = fopen(path, "wb"); if (!f) die("cannot write output");
    uint32_t v = 1;
    fwrite("XCLS", 1, 4, f); fwrite(&v, 4, 1, f);
    fwrite(&x->n_prompt, 4, 1, f); fwrite(&x->n_gen, 4, 1, f); fwrite(&x->n_vocab, 4, 1, f);
    fwrite(&x->seed, 4, 1, f); fwrite(&x->temp, 4, 1, f);
    fwrite(x->prompt, 4, x->n_prompt, f); fwrite(x->gen, 4, x->n_gen, f);
    fwrite(x->logits, 4, (size_t)x->n_gen * x->n_vocab, f);
    if (fclose(f) != 0) die("write failed");
}

static void read_file(const char *path, xfile_t *x, int with_logits) {
    FILE *f = fopen(path, "rb"); if (!f) die("cannot read input");
    char m[4]; uint32_t v;
    if (fread(m, 1, 4, f) != 4 || memcmp(m, "XCLS", 4) || fread(&v, 4, 1, f) != 1 || v != 1) die("bad input file");
    if (fread(&x->n_prompt, 4, 1, f) != 1 || fread(&x->n_gen, 4, 1, f) != 1 || fread(&x->n_vocab, 4, 1, f) != 1 ||
        fread(&x->seed, 4, 1, f) != 1 || fread(&x->temp, 4, 1, f) != 1) die("short input");
    x->prompt = malloc(4 * (size_t)x->n_prompt); x->gen = malloc(4 * (size_t)x->n_gen + 4);
    if (fread(x->prompt, 4, x->n_prompt, f) != x->n_prompt || fread(x->gen, 4, x->n_gen, f) != x->n_gen) die("short input");
    x->logits = NULL;
    if (with_logits) {
        x->logits = malloc(4 * (size_t)x->n_gen * x->n_vocab);
        if (fread(x->logits, 4, (size_t)x->n_gen * x->n_vocab, f) != (size_t)x->n_gen * x->n_vocab) die("short input");
    }
    fclose(f);
}

static struct llama_sampler *make_sampler(uint32_t seed, float temp) {
    if (temp <= 0) return NULL;
    struct llama_sampler *c = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(c, llama_sampler_init_temp(temp));
    llama_sampler_chain_add(c, llama_sampler_init_dist(seed));
    return c;
}

static int32_t argmax(const float *l, int n) {
    int32_t b = 0; for (int i = 1; i < n; i++) if (l[i] > l[b]) b = i; return b;
}

static int32_t sample_row(struct llama_sampler *s, const float *l, int n, llama_token_data *buf) {
    for (int i = 0; i < n; i++) { buf[i].id = i; buf[i].logit = l[i]; buf[i].p = 0; }
    llama_token_data_array a = { buf, (size_t)n, -1, false };
    llama_sampler_apply(s, &a);
    if (a.selected < 0) die("sampler selected nothing");
    int32_t tok = a.data[a.selected].id;
    llama_sampler_accept(s, tok);
    return tok;
}

// ---- single-op tests ------------------------------------------------------------------
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17; return (uint32_t)(rng_state >> 16); }
// exactly representable floats in [-r, r): integer / 4096
static float rndf(float r) { return (float)((int32_t)(rnd() % (uint32_t)(2 * r * 4096)) - (int32_t)(r * 4096)) / 4096.0f; }
static void fill_f32(struct ggml_tensor *t, float r) { float *d = t->data; for (int64_t i = 0; i < ggml_nelements(t); i++) d[i] = rndf(r); }
static void fill_f16(struct ggml_tensor *t, float r) { ggml_fp16_t *d = t->data; for (int64_t i = 0; i < ggml_nelements(t); i++) d[i] = ggml_fp32_to_fp16(rndf(r)); }
// raw quantised blocks: random quants, scales drawn from a few exact fp16 values
static void fill_q(struct ggml_tensor *t) {
    uint8_t *d = t->data; size_t n = ggml_nbytes(t);
    for (size_t i = 0; i < n; i++) d[i] = (uint8_t)rnd();
    size_t bs = ggml_type_size(t->type), nb = n / bs;
    for (size_t b = 0; b < nb; b++) {
        ggml_fp16_t *h = (ggml_fp16_t *)(d + b * bs);
        h[0] = ggml_fp32_to_fp16((float)(1 + rnd() % 64) / 2048.0f);                       // d
        if (t->type == GGML_TYPE_Q4_1) h[1] = ggml_fp32_to_fp16(-(float)(rnd() % 64) / 256.0f); // m
        if (t->type == GGML_TYPE_Q8_1) h[1] = ggml_fp32_to_fp16((float)((int)(rnd() % 512) - 256) / 64.0f); // s
    }
}

static void ops_test(const char *out, int threads) {
    struct ggml_init_params ip = { 512u << 20, NULL, false };
    struct ggml_context *ctx = ggml_init(ip);
    const int E = 576, T = 13, F = 1536, HD = 64, NH = 9, NKV = 256, V = 4096;
    struct { const char *name; struct ggml_tensor *t; } res[48]; int nres = 0;
#define ADD(nm, x) do { res[nres].name = nm; res[nres].t = x; nres++; } while (0)
    struct ggml_tensor *act = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, E, T); fill_f32(act, 4);
    struct ggml_tensor *actF = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, F, T); fill_f32(actF, 4);
    struct ggml_tensor *wq41 = ggml_new_tensor_2d(ctx, GGML_TYPE_Q4_1, E, E); fill_q(wq41);
    struct ggml_tensor *wq80 = ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_0, E, V); fill_q(wq80);
    struct ggml_tensor *aq81 = ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_1, E, T); fill_q(aq81);
    struct ggml_tensor *aq80 = ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_0, E, T); fill_q(aq80);
    struct ggml_tensor *K = ggml_new_tensor_2d(ctx, GGML_TYPE_F16, HD, NKV); fill_f16(K, 2);
    struct ggml_tensor *Q = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, HD, T * NH); fill_f32(Q, 2);
    struct ggml_tensor *Vt = ggml_new_tensor_2d(ctx, GGML_TYPE_F16, NKV, HD); fill_f16(Vt, 2);
    struct ggml_tensor *P = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, NKV, T); { float *d = P->data; for (int i = 0; i < NKV * T; i++) d[i] = (float)(rnd() % 4096) / 1048576.0f; }
    struct ggml_tensor *KQ = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, NKV, T, NH); fill_f32(KQ, 8);
    struct ggml_tensor *mask = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, NKV, T);
    { float *d = mask->data; for (int t = 0; t < T; t++) for (int k = 0; k < NKV; k++) d[t * NKV + k] = k <= 200 + t ? 0.0f : -INFINITY; }
    struct ggml_tensor *w = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, E); fill_f32(w, 2);
    struct ggml_tensor *x3 = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, HD, NH, T); fill_f32(x3, 4);
    struct ggml_tensor *pos = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, T); for (int t = 0; t < T; t++) ((int32_t *)pos->data)[t] = 100 + 37 * t;
    struct ggml_tensor *rows = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, T); for (int t = 0; t < T; t++) ((int32_t *)rows->data)[t] = (int32_t)(rnd() % V);
    struct ggml_tensor *g = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, F, T); fill_f32(g, 6);
    struct ggml_tensor *u = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, F, T); fill_f32(u, 6);

    ADD("quantize f32->q8_1 (cpy)", ggml_cpy(ctx, act, ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_1, E, T)));
    struct ggml_tensor *actm = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, E, T);
    { float *d = actm->data; for (int i = 0; i < E * T; i++) d[i] = rndf(4) * 0.3f + rndf(1) * 0.0007f; }
    struct ggml_tensor *actt = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, E, T); // amax 127, half-integers: ties
    { float *d = actt->data; for (int i = 0; i < E * T; i++) d[i] = (i % 32 == 0) ? 127.0f : (float)((int)(rnd() % 254) - 127) + 0.5f; }
    ADD("quantize f32->q8_1 full-mantissa inputs", ggml_cpy(ctx, actm, ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_1, E, T)));
    ADD("quantize f32->q8_1 exact ties", ggml_cpy(ctx, actt, ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_1, E, T)));
    ADD("mul_mat q4_1 x f32 full-mantissa inputs", ggml_mul_mat(ctx, wq41, actm));
    ADD("quantize f32->q8_0 (cpy)", ggml_cpy(ctx, act, ggml_new_tensor_2d(ctx, GGML_TYPE_Q8_0, E, T)));
    ADD("convert f32->f16 (cpy)", ggml_cpy(ctx, act, ggml_new_tensor_2d(ctx, GGML_TYPE_F16, E, T)));
    ADD("mul_mat q4_1 x q8_1 (dot only)", ggml_mul_mat(ctx, wq41, aq81));
    ADD("mul_mat q4_1 x f32 (quantize+dot)", ggml_mul_mat(ctx, wq41, act));
    ADD("mul_mat q8_0 x q8_0 (dot only)", ggml_mul_mat(ctx, wq80, aq80));
    ADD("mul_mat q8_0 x f32 (quantize+dot)", ggml_mul_mat(ctx, wq80, act));
    ADD("mul_mat f16 x f32 (kq)", ggml_mul_mat(ctx, K, Q));
    ADD("mul_mat f16 x f32 (kqv)", ggml_mul_mat(ctx, Vt, P));
    ADD("soft_max_ext (mask, scale)", ggml_soft_max_ext(ctx, KQ, mask, 0.125f, 0.0f));
    ADD("rms_norm", ggml_rms_norm(ctx, act, 1e-5f));
    ADD("mul (norm weight)", ggml_mul(ctx, act, w));
    ADD("add", ggml_add(ctx, act, act));
    ADD("rope (normal, base 100000)", ggml_rope_ext(ctx, x3, pos, NULL, HD, 0, 8192, 100000.0f, 1.0f, 0.0f, 1.0f, 32.0f, 1.0f));
    ADD("swiglu", ggml_swiglu_split(ctx, g, u));
    ADD("silu", ggml_silu(ctx, g));
    ADD("get_rows q8_0", ggml_get_rows(ctx, wq80, rows));
    (void)actF;
#undef ADD
    FILE *f = fopen(out, "wb"); if (!f) die("cannot write ops output");
    for (int i = 0; i < nres; i++) {
        struct ggml_cgraph *gf = ggml_new_graph(ctx);
        ggml_build_forward_expand(gf, res[i].t);
        if (ggml_graph_compute_with_ctx(ctx, gf, threads) != GGML_STATUS_SUCCESS) die("compute failed");
        uint32_t l = (uint32_t)strlen(res[i].name); uint64_t nb = ggml_nbytes(res[i].t);
        fwrite(&l, 4, 1, f); fwrite(res[i].name, 1, l, f); fwrite(&nb, 8, 1, f); fwrite(res[i].t->data, 1, nb, f);
    }
    fclose(f);
    fprintf(stderr, "ops: %d op outputs written\n", nres);
    ggml_free(ctx);
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: xclass generate|check|info|ops|quantize ...");
    const char *cmd = argv[1], *model_path = NULL, *prompt = NULL, *tokfile = NULL, *out = NULL, *in = NULL, *dump = NULL;
    const char *qtype = NULL;
    int n = 64, threads = 1; uint32_t seed = 0; float temp = 0;
    int repack = 1; // --repack 0: llama_model_params.use_extra_bufts = false (no CPU_REPACK buffer at run time)
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i]; const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) die("missing option value");
        if (!strcmp(a, "--model")) model_path = v; else if (!strcmp(a, "--prompt")) prompt = v;
        else if (!strcmp(a, "--tokens")) tokfile = v; else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--in")) in = v; else if (!strcmp(a, "--dump")) dump = v;
        else if (!strcmp(a, "--n")) n = atoi(v); else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--type")) qtype = v; else if (!strcmp(a, "--repack")) repack = atoi(v);
        else if (!strcmp(a, "--seed")) seed = (uint32_t)strtoul(v, NULL, 10); else if (!strcmp(a, "--temp")) temp = (float)atof(v);
        else die("unknown option");
        i++;
    }
    verbose_log = getenv("XCLASS_VERBOSE") && atoi(getenv("XCLASS_VERBOSE")) > 0;
    llama_log_set(quiet_log, NULL);
    llama_backend_init();
    if (!strcmp(cmd, "info")) { printf("%s\n", llama_print_system_info()); return 0; }
    if (!strcmp(cmd, "ops")) { if (!out) die("--out is required"); ops_test(out, threads); return 0; }
    if (!model_path || !out) die("--model and --out are required");
    if (!strcmp(cmd, "quantize")) { // --model IN --out OUT --type q4_0|q4_1|q8_0|q4_k_m (llama_model_quantize)
        struct llama_model_quantize_params qp = llama_model_quantize_default_params();
        if (!qtype || !strcmp(qtype, "q4_0")) qp.ftype = LLAMA_FTYPE_MOSTLY_Q4_0;
        else if (!strcmp(qtype, "q4_1")) qp.ftype = LLAMA_FTYPE_MOSTLY_Q4_1;
        else if (!strcmp(qtype, "q8_0")) qp.ftype = LLAMA_FTYPE_MOSTLY_Q8_0;
        else if (!strcmp(qtype, "q4_k_m")) qp.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M;
        else die("unknown --type");
        qp.allow_requantize = true; qp.nthread = threads;
        if (llama_model_quantize(model_path, out, &qp) != 0) die("quantize failed");
        fprintf(stderr, "quantize: wrote %s\n", out);
        return 0;
    }

    struct llama_model_params mp = llama_model_default_params();
    if (!repack) mp.use_extra_bufts = false;
    struct llama_model *model = llama_model_load_from_file(model_path, mp);
    if (!model) die("cannot load model");
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    xfile_t x = {0};
    x.n_vocab = (uint32_t)n_vocab;
    int checking = !strcmp(cmd, "check");
    if (checking) {
        if (!in) die("--in is required");
        read_file(in, &x, 0);
        if ((int)x.n_vocab != n_vocab) die("vocabulary size differs from the model's");
        if (x.n_gen == 0) die("nothing generated in input");
    } else if (!strcmp(cmd, "generate")) {
        x.seed = seed; x.temp = temp;
        if (prompt) {
            int cap = (int)strlen(prompt) + 16;
            x.prompt = malloc(4 * (size_t)cap);
            int k = llama_tokenize(vocab, prompt, (int)strlen(prompt), x.prompt, cap, true, true);
            if (k < 0) die("tokenize failed");
            x.n_prompt = (uint32_t)k;
        } else if (tokfile) {
            FILE *f = fopen(tokfile, "r"); if (!f) die("cannot read --tokens");
            int cap = 4096, k = 0, t; x.prompt = malloc(4 * (size_t)cap);
            while (k < cap && fscanf(f, "%d", &t) == 1) x.prompt[k++] = t;
            fclose(f); x.n_prompt = (uint32_t)k;
        } else die("--prompt or --tokens is required");
        if (x.n_prompt == 0) die("empty prompt");
        x.gen = malloc(4 * (size_t)n); x.logits = malloc(4 * (size_t)n * n_vocab);
    } else die("unknown command");

    int total = (int)x.n_prompt + (checking ? (int)x.n_gen : n);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 1024; while ((int)cp.n_ctx < total + 8) cp.n_ctx *= 2;
    cp.n_batch = cp.n_ctx;
    cp.n_ubatch = 512;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.n_seq_max = 1;
    cp.n_threads = threads; cp.n_threads_batch = threads;
    cp.no_perf = true;
    cp.kv_unified = false;
    cp.type_k = GGML_TYPE_F16; cp.type_v = GGML_TYPE_F16;
    dump_t d = {0};
    if (dump) {
        d.f = fopen(dump, "wb"); if (!d.f) die("cannot write --dump");
        cp.cb_eval = dump_cb; cp.cb_eval_user_data = &d;
    }
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) die("cannot create context");

    struct llama_batch b = llama_batch_init(total, 0, 1);
    llama_token_data *buf = malloc(sizeof(llama_token_data) * (size_t)n_vocab);
    struct llama_sampler *smp = make_sampler(x.seed, x.temp);

    if (checking) {
        x.logits = malloc(4 * (size_t)x.n_gen * n_vocab);
        b.n_tokens = 0;
        for (int i = 0; i < total; i++) {
            b.token[i] = i < (int)x.n_prompt ? x.prompt[i] : x.gen[i - x.n_prompt];
            b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0;
            b.logits[i] = i >= (int)x.n_prompt - 1 && i < total - 1; // positions that predicted a generated token
            b.n_tokens++;
        }
        if (llama_decode(ctx, b) != 0) die("decode failed");
        int mism = 0, smism = 0;
        for (uint32_t r = 0; r < x.n_gen; r++) {
            const float *l = llama_get_logits_ith(ctx, (int)x.n_prompt - 1 + (int)r);
            if (!l) die("no logits");
            memcpy(x.logits + (size_t)r * n_vocab, l, 4 * (size_t)n_vocab);
            if (smp) { if (sample_row(smp, l, n_vocab, buf) != x.gen[r]) smism++; }
            else if (argmax(l, n_vocab) != x.gen[r]) mism++;
        }
        if (smp) fprintf(stderr, "check: %u tokens, sampled (seed %u, temp %g) mismatches %d\n", x.n_gen, x.seed, x.temp, smism);
        else fprintf(stderr, "check: %u tokens, greedy mismatches %d\n", x.n_gen, mism);
    } else {
        b.n_tokens = 0;
        for (uint32_t i = 0; i < x.n_prompt; i++) {
            b.token[i] = x.prompt[i]; b.pos[i] = (int)i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0;
            b.logits[i] = i == x.n_prompt - 1; b.n_tokens++;
        }
        if (llama_decode(ctx, b) != 0) die("prefill failed");
        int pos = (int)x.n_prompt;
        x.n_gen = 0;
        for (int g = 0; g < n; g++) {
            const float *l = llama_get_logits_ith(ctx, -1);
            if (!l) die("no logits");
            memcpy(x.logits + (size_t)g * n_vocab, l, 4 * (size_t)n_vocab);
            int32_t tok = smp ? sample_row(smp, l, n_vocab, buf) : argmax(l, n_vocab);
            x.gen[g] = tok; x.n_gen++;
            if (llama_vocab_is_eog(vocab, tok) || g == n - 1) break;
            b.n_tokens = 1; b.token[0] = tok; b.pos[0] = pos++; b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = 1;
            if (llama_decode(ctx, b) != 0) die("decode failed");
        }
        fprintf(stderr, "generate: prompt %u tokens, generated %u\n", x.n_prompt, x.n_gen);
    }
    write_file(out, &x);
    if (d.f) { fclose(d.f); fprintf(stderr, "dump: %ld tensors\n", d.n); }
    if (smp) llama_sampler_free(smp);
    llama_batch_free(b); llama_free(ctx); llama_model_free(model); llama_backend_free();
    return 0;
}
