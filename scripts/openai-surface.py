#!/usr/bin/env python3
"""The whole OpenAI surface through the official `openai` client, every answer checked by
the network (issue [2/5], must-show 1): stop, n, logprobs, json_object, json_schema, forced
tool calls, a conversation with a tool result, streaming of each, and every accepted field
shown to change the output (or refused).

Usage: openai-surface.py BASE_URL [API_KEY] [--level=N] [--model=NAME]
Without --model, the first model the network lists.
Each answer's `agora.verification` must be `attested-pass` (level >= 1) or `proof-verified`
(level 0). Exits non-zero on the first failure.
"""
import json, sys
from openai import OpenAI, BadRequestError

args = [a for a in sys.argv[1:] if not a.startswith("--")]
base = args[0] if args else "http://127.0.0.1:8710/v1"
level = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--level=")), "1"))
want = "attested-pass" if level >= 1 else "proof-verified"
client = OpenAI(base_url=base, api_key=args[1] if len(args) > 1 else "unused", timeout=600)
model = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--model=")), None) or client.models.list().data[0].id
print(f"model: {model}")
checked = 0


def verified(info, what):
    global checked
    assert info["verification"] == want, f"{what}: verification {info['verification']!r}, want {want!r}"
    checked += 1


def chat(what, **kw):
    r = client.chat.completions.create(model=model, **kw)
    for c in r.choices:
        verified(c.model_extra["agora"], what)
    return r


def validate(value, schema, path="$"):
    """The JSON Schema subset the tests use: type, properties, required, additionalProperties,
    enum, items, maxItems, minItems, maxLength, minLength."""
    t = schema.get("type")
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if t == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an integer"
    elif t == "number":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: {value!r} is not a number"
    elif t:
        assert isinstance(value, kinds[t]), f"{path}: {value!r} is not {t}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, str):
        assert len(value) <= schema.get("maxLength", 10**9) and len(value) >= schema.get("minLength", 0), f"{path}: length"
    if isinstance(value, dict):
        for k in schema.get("required", []):
            assert k in value, f"{path}: missing {k}"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(props), f"{path}: extra keys {set(value) - set(props)}"
        for k, v in value.items():
            if k in props:
                validate(v, props[k], f"{path}.{k}")
    if isinstance(value, list):
        assert schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 10**9), f"{path}: {len(value)} items"
        for i, v in enumerate(value):
            validate(v, schema.get("items", {}), f"{path}[{i}]")


user = lambda text: [{"role": "user", "content": text}]

# stop: the output ends before the first stop sequence.
r = chat("stop", messages=user("List three colours, one per line."), stop=["\n"], max_tokens=32)
text = r.choices[0].message.content
assert "\n" not in text and r.choices[0].finish_reason == "stop", (text, r.choices[0].finish_reason)
# Usage counts the prompt in the provider's tokens (chat template included), not an estimate.
assert r.usage.prompt_tokens >= 15 and r.usage.completion_tokens >= 1, r.usage
print("stop:", repr(text))

# n = 3: three choices, three jobs, three checks.
r = chat("n=3", messages=user("Say a word."), n=3, temperature=1.0, max_tokens=8)
assert len(r.choices) == 3 and [c.index for c in r.choices] == [0, 1, 2]
jobs = {c.model_extra["agora"]["job_id"] for c in r.choices}
assert len(jobs) == 3, jobs
print("n=3:", [c.message.content for c in r.choices])

# logprobs with 5 alternatives: one entry per visible token, spelling the answer.
r = chat("logprobs", messages=user("Name a fruit."), logprobs=True, top_logprobs=5, max_tokens=8)
lp = r.choices[0].logprobs.content
assert lp and all(len(t.top_logprobs) == 5 and t.logprob <= 0 for t in lp), lp
assert "".join(t.token for t in lp) == r.choices[0].message.content, (lp, r.choices[0].message.content)
assert all(t.top_logprobs[0].logprob >= t.logprob for t in lp)
print("logprobs:", [(t.token, round(t.logprob, 3)) for t in lp])

# response_format json_object: the answer parses as a JSON object.
r = chat("json_object", messages=user("Return a JSON object with keys name and age for a cat named Tom aged 3."),
         response_format={"type": "json_object"}, max_tokens=120)
obj = json.loads(r.choices[0].message.content)
assert isinstance(obj, dict), obj
print("json_object:", obj)

# json_schema (strict) with nested objects, enums and arrays: the answer validates.
schema = {"type": "object", "additionalProperties": False,
          "required": ["name", "colour", "legs", "tags", "owner"],
          "properties": {"name": {"type": "string", "maxLength": 20},
                         "colour": {"type": "string", "enum": ["red", "green", "blue"]},
                         "legs": {"type": "integer"},
                         "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 3},
                         "owner": {"type": "object", "required": ["first", "age"], "additionalProperties": False,
                                   "properties": {"first": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}}}}}
fmt = {"type": "json_schema", "json_schema": {"name": "pet", "schema": schema, "strict": True}}
r = chat("json_schema", messages=user("Describe a pet."), response_format=fmt, max_tokens=400)
pet = json.loads(r.choices[0].message.content)
validate(pet, schema)
print("json_schema:", pet)

# A forced tool call (named, then `required`): arguments validate against the parameters.
params = {"type": "object", "required": ["city", "unit"], "additionalProperties": False,
          "properties": {"city": {"type": "string", "maxLength": 24}, "unit": {"type": "string", "enum": ["c", "f"]}}}
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city", "parameters": params}},
         {"type": "function", "function": {"name": "get_time", "description": "Local time in a city",
                                           "parameters": {"type": "object", "required": ["city"],
                                                          "properties": {"city": {"type": "string", "maxLength": 24}}}}}]
question = user("What is the weather in Paris?")
r = chat("tool call", messages=question, tools=tools, tool_choice={"type": "function", "function": {"name": "get_weather"}},
         max_tokens=64)
choice = r.choices[0]
assert choice.finish_reason == "tool_calls" and choice.message.content is None, choice
call = choice.message.tool_calls[0]
assert call.function.name == "get_weather"
validate(json.loads(call.function.arguments), params)
print("tool call:", call.function.name, call.function.arguments)
r = chat("tool required", messages=question, tools=tools, tool_choice="required", max_tokens=64)
c2 = r.choices[0].message.tool_calls[0]
assert c2.function.name in ("get_weather", "get_time"), c2
json.loads(c2.function.arguments)

# A conversation holding that call and its result, through the model's own chat template.
convo = question + [{"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
                    {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp_c": 21, "sky": "clear"})}]
r = chat("tool result", messages=convo, tools=tools, max_tokens=32)
print("after the tool result:", repr(r.choices[0].message.content or r.choices[0].message.tool_calls))


def stream(what, **kw):
    """Streams a chat completion; returns per choice (text, tool calls, finish, logprobs)."""
    out = {}
    for chunk in client.chat.completions.create(model=model, stream=True, **kw):
        for c in chunk.choices:
            o = out.setdefault(c.index, {"text": "", "calls": [], "finish": None, "logprobs": []})
            o["text"] += c.delta.content or ""
            o["calls"] += c.delta.tool_calls or []
            if c.logprobs and c.logprobs.content:
                o["logprobs"] += c.logprobs.content
            if c.finish_reason:
                o["finish"] = c.finish_reason
                verified(chunk.model_extra["agora"], what)
    assert out and all(o["finish"] for o in out.values()), (what, out)
    return out


s = stream("stream stop", messages=user("List three colours, one per line."), stop=["\n"], max_tokens=32)
assert "\n" not in s[0]["text"] and s[0]["finish"] == "stop", s
s = stream("stream n=3", messages=user("Say a word."), n=3, temperature=1.0, max_tokens=8)
assert sorted(s) == [0, 1, 2], s
s = stream("stream logprobs", messages=user("Name a fruit."), logprobs=True, top_logprobs=5, max_tokens=8)
assert "".join(t.token for t in s[0]["logprobs"]) == s[0]["text"], s
s = stream("stream json_schema", messages=user("Describe a pet."), response_format=fmt, max_tokens=400)
validate(json.loads(s[0]["text"]), schema)
s = stream("stream json_object", messages=user("Return a JSON object with keys name and age for a cat named Tom aged 3."),
           response_format={"type": "json_object"}, max_tokens=120)
assert isinstance(json.loads(s[0]["text"]), dict)
s = stream("stream tool call", messages=question, tools=tools, tool_choice="required", max_tokens=64)
assert s[0]["finish"] == "tool_calls" and s[0]["calls"], s
json.loads(s[0]["calls"][0].function.arguments)
print("streams: stop, n=3, logprobs, json_schema, json_object, tool call")

# Every accepted field changes the output (or is refused): each against a baseline.
def completion(**kw):
    r = client.completions.create(model=model, **kw)
    for c in r.choices:
        verified(c.model_extra["agora"], "completion")
    return r.choices[0].text

rep = dict(prompt="The cat sat on the mat. The cat sat on the", max_tokens=16)
base = completion(**rep)
assert completion(**rep, presence_penalty=2) != base, "presence_penalty changed nothing"
assert completion(**rep, frequency_penalty=2) != base, "frequency_penalty changed nothing"
assert completion(**rep, logit_bias={"28": 100}) != base, "logit_bias changed nothing"
assert completion(prompt=rep["prompt"], max_tokens=4) != base, "max_tokens changed nothing"
hot = dict(prompt="Once upon a time", max_tokens=12, temperature=1.5)
a, b = completion(**hot, seed=1), completion(**hot, seed=2)
assert a != b and completion(**hot, seed=1) == a, "seed does not select the sample"
assert completion(**hot, seed=1, top_p=0.05) != a, "top_p changed nothing"
assert completion(**hot, seed=1, extra_body={"top_k": 1}) != a, "top_k changed nothing"
assert completion(prompt="Once upon a time", max_tokens=12, seed=1) != a, "temperature changed nothing"
echoed = completion(prompt="Once upon a time", max_tokens=4, echo=True)
assert echoed.startswith("Once upon a time") and len(echoed) > len("Once upon a time"), echoed
r = client.completions.create(model=model, prompt="The capital of France is", max_tokens=4, logprobs=2)
assert len(r.choices[0].logprobs.tokens) > 0 and all(len(t) >= 1 for t in r.choices[0].logprobs.top_logprobs), r
for field, value in [("best_of", 2), ("suffix", "end")]:
    try:
        client.completions.create(model=model, prompt="x", max_tokens=2, **{field: value})
        raise SystemExit(f"{field} was accepted although it is not carried out")
    except BadRequestError as e:
        assert e.code == "unsupported_parameter", e
print("fields: presence_penalty, frequency_penalty, logit_bias, max_tokens, seed, top_p, top_k, temperature, echo,"
      " logprobs change the output; best_of, suffix refused")
print(f"openai surface: all checks passed ({checked} answers {want})")
