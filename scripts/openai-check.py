#!/usr/bin/env python3
"""Exercise a node's API with the official `openai` client: models, chat, completions, streaming.

Usage: openai-check.py [BASE_URL]   (default http://127.0.0.1:8710/v1)
Exits non-zero on the first failure.
"""
import sys
from openai import OpenAI

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8710/v1"
# The node's API key when it requires one (argument 2), else any placeholder.
client = OpenAI(base_url=base, api_key=sys.argv[2] if len(sys.argv) > 2 else "unused")

models = client.models.list()
names = [m.id for m in models.data]
assert names, "no models listed"
print("models:", names)

chat = client.chat.completions.create(model=names[0], max_tokens=16,
                                      messages=[{"role": "user", "content": "Say hello in one sentence."}])
text = chat.choices[0].message.content
assert text, "empty chat answer"
agora = chat.model_extra["agora"]
print("chat:", repr(text), "provider", agora["provider"][:8], agora["verification"])

comp = client.completions.create(model=names[0], prompt="The capital of France is", max_tokens=8)
assert comp.choices[0].text, "empty completion"
print("completion:", repr(comp.choices[0].text))

pieces = []
for chunk in client.chat.completions.create(model=names[0], max_tokens=12, stream=True,
                                            messages=[{"role": "user", "content": "Count to three."}]):
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
assert "".join(pieces), "empty stream"
assert len(pieces) > 1, f"the stream arrived in one piece: {pieces!r}"
print("stream:", repr("".join(pieces)), f"in {len(pieces)} pieces")

# stream_options.include_usage: usage only in a last chunk with no choices, as OpenAI sends it.
chunks = list(client.chat.completions.create(model=names[0], max_tokens=8, stream=True,
                                             stream_options={"include_usage": True},
                                             messages=[{"role": "user", "content": "Count to three."}]))
last = chunks[-1]
assert last.choices == [] and last.usage and last.usage.completion_tokens > 0, last
assert all(c.usage is None for c in chunks[:-1]), "usage before the last chunk"
print("stream usage:", last.usage.prompt_tokens, "+", last.usage.completion_tokens, "tokens")

try:
    client.completions.create(model=names[0], max_tokens=8, prompt="x", best_of=2)
    raise SystemExit("best_of was accepted although it is not carried out")
except Exception as e:  # openai.BadRequestError
    assert getattr(e, "status_code", None) == 400 and getattr(e, "code", None) == "unsupported_parameter", e
    print("unsupported best_of refused:", e.status_code)

try:
    client.chat.completions.create(model=names[0], max_tokens=0, messages=[{"role": "user", "content": "x"}])
    raise SystemExit("max_tokens=0 was accepted")
except Exception as e:  # openai.BadRequestError
    assert getattr(e, "status_code", None) == 400, e
    print("bad request rejected:", e.status_code)
print("openai client: all checks passed")
