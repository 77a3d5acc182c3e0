// Checks ggml_portable_fma_n / ggml_portable_fmaf (scripts/patches/portable-v4-fast.patch)
// against the FMA instruction: built for the x86-64 baseline (SSE2, no FMA), so the header's
// SSE2 double path runs, and compared lane by lane with vfmadd on this CPU. Inputs: random bit
// patterns, d*lane+acc shapes of the quantised dot products, near-cancellations, and sums
// crafted to land on float midpoints (where a plain double sum rounded twice is wrong).
//
//   S=~/.cache/agora/classes/portable-scalar/src   # any source copy with the patches applied
//   gcc -O3 -march=x86-64 -I$S/ggml/include -I$S/ggml/src -o /tmp/fma-check tools/xclass/portable-fma-check.c -lm
//   /tmp/fma-check 20000000                        # vectors of 1..32 lanes; exit 1 on any difference
#include "ggml-impl.h"
#include <stdio.h>
#include <immintrin.h>
static uint64_t st = 88172645463325252ull;
static inline uint64_t rnd(void){ st ^= st<<13; st ^= st>>7; st ^= st<<17; return st; }
__attribute__((target("fma"))) static inline float hw(float a, float b, float c){ return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a),_mm_set_ss(b),_mm_set_ss(c))); }
static inline float fb(uint32_t u){ float f; memcpy(&f,&u,4); return f; }
static float gen(int mode, int which, float *a, float *b, float *c) {
  if (mode == 0) { *a = fb(rnd()); *b = fb(rnd()); *c = fb(rnd()); }
  else if (mode == 1) { *a = ldexpf((float)(rnd()%16777216), -24 - (int)(rnd()%20)); *b = (float)((int)(rnd()%131072) - 65536); *c = ldexpf((float)((int64_t)(rnd()%33554432)-16777216), -(int)(rnd()%40)); }
  else if (mode == 2) { *a = fb((rnd() & 0x807FFFFF) | (127u<<23)); *b = fb((rnd() & 0x807FFFFF) | (127u<<23)); float p = -(*a)*(*b); uint32_t cu; memcpy(&cu,&p,4); cu += (uint32_t)(rnd()%5) - 2; *c = fb(cu); }
  else { *c = fb((rnd() & 0x807FFFFF) | ((uint32_t)(110 + rnd()%30)<<23)); int ec; frexpf(*c, &ec);
    *a = ldexpf(1.0f + ldexpf((float)(rnd()%256), -(int)(16 + rnd()%8)), ec - 25 - 10); *b = ldexpf(1.0f - ldexpf((float)(rnd()%256), -(int)(16 + rnd()%8)), 10); if (rnd()&1) *b = -*b; }
  (void)which; return 0;
}
int main(int argc, char **argv) {
  long n = atol(argv[1]), bad = 0;
  for (long i = 0; i < n; i++) {
    float a[32], b[32], c[32], r[32]; int mode = (int)(rnd() % 4);
    int len = 1 + (int)(rnd() % 32);
    for (int k = 0; k < len; k++) { gen(k % 7 == 0 ? 3 : mode, k, &a[k], &b[k], &c[k]); r[k] = c[k]; }
    ggml_portable_fma_n(len, r, a, b);
    for (int k = 0; k < len; k++) { float h = hw(a[k], b[k], c[k]); if (memcmp(&h, &r[k], 4) && !(isnan(h) && isnan(r[k]))) { if (bad < 5) printf("bad %a %a %a: %a vs %a\n", a[k], b[k], c[k], r[k], h); bad++; } }
  }
  printf("%ld vectors, %ld lanes differ\n", n, bad); return bad != 0;
}
