#!/bin/bash
# ABBA-ordered llama-bench runs (to cancel order/drift effects): configs "tiled:repack"
. ~/.cache/agora/env
R=~/.cache/agora/repack; B=$AGORA_LLAMA_PREFIX/bin/llama-bench
QW=$HOME/.cache/agora/other-model/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf
one() { # model test tiled repack
  local args; [ "$2" = pp ] && args="-p 128 -n 0" || args="-p 0 -n 64"
  local ts; ts=$(GGML_CPU_TILED_MM=$3 nice -n 19 $B -m $1 -t 1 $args -r 1 -fa off --repack $4 -o csv 2>/dev/null | tail -1 | awk -F, '{print $(NF-1)}' | tr -d '"')
  echo "$(basename $1) $2 tiled=$3 repack=$4 $ts"
}
for round in 1 2; do
  for c in 1:1 1:0 0:1 0:0 0:0 0:1 1:0 1:1; do one $QW pp ${c%:*} ${c#*:}; done
  for c in 1:1 1:0 1:0 1:1; do one $QW tg 1 ${c#*:}; done
  for c in 1:1 1:0 1:0 1:1; do one $AGORA_MODEL tg 1 ${c#*:}; done
  for c in 1:1 1:0 1:0 1:1; do one $AGORA_MODEL pp 1 ${c#*:}; done
  for c in 1:1 1:0 1:0 1:1; do one $R/smollm2-135m-q4_0.gguf pp 1 ${c#*:}; done
  for c in 1:1 1:0 1:0 1:1; do one $R/smollm2-135m-q4_0.gguf tg 1 ${c#*:}; done
done
echo done
