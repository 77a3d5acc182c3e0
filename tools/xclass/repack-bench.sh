#!/bin/bash
# alternating llama-bench (bootstrap build, repack compiled in) with --repack 1 / 0 at run time,
# and for the Qwen K-quant model also GGML_CPU_TILED_MM=0 (tiled K-quant matmul off)
. ~/.cache/agora/env
R=~/.cache/agora/repack
B=$AGORA_LLAMA_PREFIX/bin/llama-bench
QW=$HOME/.cache/agora/other-model/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf
out=$R/bench.jsonl
for rep in ${REPS:-1 2 3}; do
  for m in $QW $AGORA_MODEL $R/smollm2-135m-q4_0.gguf; do
    for tiled in 1 0; do
      [ "$tiled" = 0 ] && [ "$m" != "$QW" ] && continue
      for rp in 1 0; do
        GGML_CPU_TILED_MM=$tiled nice -n 19 $B -m $m -t 1 -p 128 -n 64 -r 1 -fa off --repack $rp -o jsonl 2>/dev/null \
          | sed "s/^{/{\"rep\": $rep, \"tiled\": $tiled, /" >> $out
      done
    done
  done
done
echo bench done
