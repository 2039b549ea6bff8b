"""Benchmark alpaca_nb's OpenAI-compatible server.

Prints, measured in one run on this machine:
1. our decoding loop vs `model.generate` (greedy, one prompt): tokens/s of each and the ratio,
   and whether both produce the same tokens;
2. batching in the server: the same concurrent requests with max_batch_size=B vs 1, in
   completion tokens/s, and the ratio;
3. the HTTP overhead: requests/s of a trivial FunctionEngine through the real server.

Example: python benchmarks/server.py --model tiny --requests 16 --max_tokens 32
         python benchmarks/server.py --model default --requests 8 --max_tokens 16
"""
import time
from concurrent.futures import ThreadPoolExecutor

from fastcore.script import call_parse

PROMPTS = ["Give three tips for staying healthy.", "The capital of France is",
           "Write a short poem about the sea.", "List of fruits:\n1.",
           "Explain why the sky is blue in simple words.", "Translate to French: the library opens at nine.",
           "What is 12 times 7?", "Rewrite the email so that it sounds more polite: send me the file now."]


def _generate_vs_ours(engine, max_tokens, repeats):
    "tokens/s of model.generate and of our loop on the same greedy prompt, and whether tokens agree"
    import torch
    prompt = PROMPTS[0]
    ids = engine.encode(prompt)
    eos = sorted(engine.eos_ids)
    def hf():
        with torch.inference_mode():
            out = engine.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                        max_new_tokens=max_tokens, do_sample=False, eos_token_id=eos,
                                        pad_token_id=engine.pad_id)
        return out[0, len(ids):].tolist()
    def ours():
        from alpaca_nb.server import _Row
        row = _Row(0, 0, ids, max_tokens, 0.0, 1.0, [])
        engine._generate([row])
        return row.out
    hf(); ours()  # warm up
    secs, n, toks = {"generate": 0.0, "ours": 0.0}, {"generate": 0, "ours": 0}, {}
    for _ in range(repeats):  # interleaved, so that a change in the machine's load hits both alike
        for name, fn in (("generate", hf), ("ours", ours)):
            t = time.perf_counter()
            toks[name] = fn()
            secs[name] += time.perf_counter() - t
            n[name] += len(toks[name])
    return {name: (n[name] / secs[name], toks[name]) for name in secs}


def _through_server(engine, requests, max_tokens, concurrency):
    "completion tokens/s and requests/s of `requests` concurrent greedy requests through the real server"
    from alpaca_nb.server import serve_in_thread
    with serve_in_thread(engine) as srv:
        client = srv.client(max_retries=0, timeout=3600)
        def one(i):
            r = client.completions.create(model=srv.model_name, prompt=PROMPTS[i % len(PROMPTS)],
                                          max_tokens=max_tokens, temperature=0.8, seed=i)
            return r.usage.completion_tokens
        one(0)  # warm up
        t = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool: tokens = sum(pool.map(one, range(requests)))
        dt = time.perf_counter() - t
        sizes = dict(sorted(srv.app.state.worker.batch_sizes.items()))
    return tokens / dt, requests / dt, sizes


@call_parse
def main(model:str="tiny", # "tiny", "default" (Gemma 3 270M) or a checkpoint directory
         requests:int=16, # requests sent in the batching comparison
         max_tokens:int=32, # tokens per request
         concurrency:int=8, # client threads, and the server's max_batch_size
         repeats:int=3, # repetitions of the single-prompt comparison
         http_requests:int=200, # requests for the HTTP-overhead measurement
        ):
    "Benchmark the server: decoding loop vs model.generate, batching gain, HTTP overhead"
    from alpaca_nb.server import HFEngine, FunctionEngine, serve_in_thread
    engine = HFEngine(model, max_batch_size=concurrency)
    print(f"model {engine.model_name!r}, {sum(p.numel() for p in engine.model.parameters())/1e6:.1f}M parameters")

    r = _generate_vs_ours(engine, max_tokens, repeats)
    same = r["generate"][1] == r["ours"][1]
    print(f"1. greedy, one prompt, {max_tokens} tokens: model.generate {r['generate'][0]:.1f} tok/s, "
          f"ours {r['ours'][0]:.1f} tok/s, ratio ours/generate {r['ours'][0]/r['generate'][0]:.2f}; same tokens: {same}")

    batched = _through_server(engine, requests, max_tokens, concurrency)
    engine.max_batch_size = 1
    single = _through_server(engine, requests, max_tokens, concurrency)
    print(f"2. {requests} concurrent requests x {max_tokens} tokens through HTTP: max_batch_size={concurrency} "
          f"{batched[0]:.1f} tok/s ({batched[1]:.2f} req/s), max_batch_size=1 {single[0]:.1f} tok/s "
          f"({single[1]:.2f} req/s), ratio {batched[0]/single[0]:.2f}\n   requests per engine call -> number of calls: "
          f"batched {batched[2]}, unbatched {single[2]}")

    import socket, httpx, openai
    nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    rates = {}
    with serve_in_thread(FunctionEngine(lambda p, k: "ok", "echo")) as srv:
        for name, http in (("default openai client", None), ("client with TCP_NODELAY", httpx.Client(transport=nodelay))):
            client = openai.OpenAI(base_url=srv.base_url, api_key="unused", max_retries=0, http_client=http)
            client.completions.create(model="echo", prompt="x")
            t = time.perf_counter()
            for _ in range(http_requests): client.completions.create(model="echo", prompt="x")
            rates[name] = http_requests / (time.perf_counter() - t)
    print("3. HTTP round trip with a trivial engine, one client at a time: " +
          ", ".join(f"{name} {r:.0f} req/s ({1000/r:.1f} ms per request)" for name, r in rates.items()))
