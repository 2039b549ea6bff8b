"""What compiling the decoding step (`HFEngine(..., compile=True)`, `alpaca_nb_serve --compile`) buys, and what it changes.

On the embedded model in bf16, one engine built with `compile=True`, stepped on this thread:
- how long building it took (loading + compiling on 2 rows and on 1; the compiler's on-disk cache makes later starts shorter);
- a decoding step of 1, 4 and 16 sequences through the compiled pass against the same engine with it switched off
  (`engine.compiled = None`): runs alternate, medians printed with their ratio (uncompiled / compiled: the speed-up);
- greedy answers (64 new tokens) of 16 Alpaca prompts with and without it: how many are the same text, and where the
  others first differ (bf16: the compiled loops round and reduce in another order, so near-ties can go the other way).

    python benchmarks/compiled_step.py
"""
import sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch
from torch._dynamo.utils import counters
import alpaca_nb.server as S
from server import alpaca_prompts
from step_parts import compare, decode_ms


def greedy(e, prompts, compiled, max_tokens:int=64) -> list:
    "Token ids of greedy answers to `prompts`, decoding steps compiled or not"
    e.compiled = compiled
    seqs = e.submit(prompts, dict(max_tokens=max_tokens, temperature=0)); e._take()
    while e.running or e.prefilling or e.waiting: e.step()
    return [s.out for s in seqs]


if __name__ == "__main__":
    prompts = alpaca_prompts()
    t = time.perf_counter()
    e = S.HFEngine("default", dtype="bfloat16", max_num_seqs=16, compile=True)
    print(f"engine built and its decoding step compiled in {time.perf_counter() - t:.0f} s "
          f"({counters['stats']['unique_graphs']} compiled graphs)", flush=True)
    assert e.compiled is not None, "compiling failed (see the warning above)"
    compiled = e.compiled
    e.start = lambda: None  # stepped here, on this thread
    def step(c, rows):
        e.compiled = c
        return decode_ms(e, prompts, rows)
    with torch.inference_mode():
        for rows in (1, 4, 16):
            compare(f"decoding step of {rows:>2}, compiled vs uncompiled", lambda: step(compiled, rows), lambda: step(None, rows))
        a, b = greedy(e, prompts[:16], None), greedy(e, prompts[:16], compiled)
    first = [next((i for i, (x, y) in enumerate(zip(p, q)) if x != y), None) for p, q in zip(a, b)]
    print(f"greedy answers, 64 tokens: {sum(p == q for p, q in zip(a, b))} of {len(a)} the same; "
          f"the others first differ at token {sorted(i for i in first if i is not None)}")
    print(f"compiled graphs at the end: {counters['stats']['unique_graphs']} (more than at the start = recompiled while serving)")
