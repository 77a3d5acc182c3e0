// Stand-alone check of f32 -> Q8_0 activation quantisation (the CPU backend's from_float, what
// MUL_MAT uses for the output layer's input) on a tie-heavy input: even blocks have amax 127
// (scale exactly 1) and values k + 0.5, odd blocks ordinary values at varied scales.
// Kept apart from xclass.c so that the class stamps (which hash the harness) stay valid.
// Build against a class's static libraries and compare the output bytes, e.g.:
//   B=~/.cache/agora/classes/portable-scalar/build S=<llama.cpp source>
//   gcc -O2 -static -o q0 tools/xclass/q8_0-ties.c -I$S/ggml/include $B/ggml/src/libggml.a \
//       $B/ggml/src/libggml-cpu.a $B/ggml/src/libggml-base.a -lstdc++ -lm -lpthread
//   ./q0 out-portable-scalar.bin; cmp out-avx2.bin out-portable-scalar.bin
// (aarch64: aarch64-linux-gnu-gcc, run under qemu-aarch64 -L /usr/aarch64-linux-gnu)
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include "ggml.h"
#include "ggml-cpu.h"
int main(int argc, char **argv) {
    const int nb = 4096, n = nb * 32;
    float *x = malloc(n * sizeof(float));
    uint32_t s = 12345;
    for (int b = 0; b < nb; b++) {
        for (int j = 0; j < 32; j++) {
            s = s * 1664525u + 1013904223u;
            float r = ((s >> 8) / 16777216.0f) * 2.0f - 1.0f;
            if (b % 2 == 0) { // tie block: amax 127 -> id = 1, values k + 0.5
                x[b*32 + j] = j == 0 ? 127.0f : (float)((int)(r * 120.0f)) + 0.5f;
            } else {          // ordinary block, random scale
                x[b*32 + j] = r * (1.0f + (b % 97));
            }
        }
    }
    ggml_cpu_init();
    const struct ggml_type_traits_cpu *t = ggml_get_type_traits_cpu(GGML_TYPE_Q8_0);
    size_t sz = ggml_row_size(GGML_TYPE_Q8_0, n);
    void *y = malloc(sz);
    t->from_float(x, y, n);
    FILE *f = fopen(argv[1], "wb"); fwrite(y, 1, sz, f); fclose(f);
    return 0;
}
