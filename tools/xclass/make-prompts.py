#!/usr/bin/env python3
"""Writes a prompts file for run-matrix.py with the executor's mix (agora-executor-bench
cross-class): the calibration prompts as SmolLM2 chat, 16–128 tokens to generate
(16 + 37·i mod 113), greedy or one of five seeded temperatures, the same prompt/sampler
rotation as CalibrationBenchmark.requests (the harness samples with llama.cpp's temp + dist
chain: no top-k / top-p).

  make-prompts.py --count 200 [--first 0] > prompts-mixed.tsv

Columns: tokens to generate, prompt (escaped), temperature (0 = greedy), seed.
"""
import argparse

PROMPTS = [
    "Why is the sky blue?", "Name three fruits.", "What is the capital of France?", "Give me a tip for sleeping well.",
    "Write one sentence about cats.", "What is 2 plus 2?", "Describe the sea in a few words.", "How do plants grow?",
    "What is a computer?", "Tell me a joke.", "How do I boil an egg?", "What is the moon made of?",
    "Why do birds sing?", "Explain rain to a child.", "What is music?", "Suggest a name for a dog.",
    "What is the largest ocean?", "How does a bicycle work?", "Write a short poem about snow.", "What is gravity?",
    "Give me a synonym for happy.", "What do bees make?", "How many legs does a spider have?", "What is a volcano?",
    "Describe a sunset.", "Why is exercise good?", "What is the speed of light?", "Name a famous painter.",
    "How do fish breathe?", "What is democracy?", "Write a haiku about autumn.", "What are clouds?",
]
TEMPS = [0.5, 0.8, 1.0, 1.2, 1.5]
SYSTEM = "<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--first", type=int, default=0)
    a = ap.parse_args()
    for i in range(a.first, a.first + a.count):
        text = PROMPTS[i % len(PROMPTS)]
        variant = (i % len(PROMPTS) + i // len(PROMPTS)) % 6
        temp, seed = (0.0, 0) if variant == 0 else (TEMPS[variant - 1], (i * 2654435761) % 2**32)
        n = 16 + (i * 37) % 113
        prompt = f"{SYSTEM}<|im_start|>user\\n{text}<|im_end|>\\n<|im_start|>assistant\\n"
        print(f"{n}\t{prompt}\t{temp}\t{seed}")


if __name__ == "__main__":
    main()
