"""One pass or two: a step that reads new prompts while sequences are decoding, with the written-out model.

`HFEngine.step` runs a prefill chunk and the decoding step in one pass of `LeanForward.run` when both are due
(`fuse = True`, `_prefill_and_decode`); this times that step against the two passes it replaces (`_prefill` then
`_decode`; both read each prompt's chunk without padding, `unpadded = True`), on the
embedded model in bf16: 8 sequences decoding while 1 or 8 new Alpaca prompts are read, 4 runs each,
alternating, medians printed with their ratio. The prefix cache is off so that every run reads whole prompts.

    python benchmarks/fused_step.py
"""
import statistics, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch
from server import alpaca_prompts
from alpaca_nb.server import HFEngine


def one_step(e, prompts, fused:bool, running:int=8, reading:int=8) -> float:
    "Milliseconds of the step that reads `reading` new prompts while `running` sequences decode"
    e.submit(prompts[:running], dict(max_tokens=60, temperature=0)); e._take()
    while e.prefilling or e.waiting or len(e.running) < running: e.step()
    e.step()
    e.submit(prompts[20:20 + reading], dict(max_tokens=60, temperature=0)); e._take()
    e._drop_cancelled(); e._admit()
    t = time.perf_counter()
    if fused: e._prefill_and_decode()  # what `step` runs when both are due
    else: e._prefill(); e._decode()
    ms = (time.perf_counter() - t) * 1000
    e.steps += 1
    for s in [*e.running, *e.prefilling]: s.cancelled = True
    while e.running or e.prefilling: e.step()
    return ms


if __name__ == "__main__":
    e = HFEngine("default", dtype="bfloat16", max_num_seqs=16, prefix_cache_gb=0)
    assert e.lean is not None, "the written-out forward pass did not load"
    e.start = lambda: None  # stepped here, on this thread
    prompts = alpaca_prompts()
    with torch.inference_mode():
        for reading in (1, 8):
            r = {True: [], False: []}
            for _ in range(4):
                for fused in (True, False): r[fused].append(one_step(e, prompts, fused, reading=reading))
            one, two = statistics.median(r[True]), statistics.median(r[False])
            print(f"8 decoding + {reading} prompt(s) read: one pass {one:.0f} ms, two passes {two:.0f} ms "
                  f"(median of 4; two/one = {two / one:.2f}x)", flush=True)
