"""What joined projections and unpadded prompt reading each save in a step of the engine.

On the embedded model in bf16, the written-out forward pass, the engine stepped on this thread:
- a decoding step of 1 and of 16 sequences, with the joined query/key/value and gate/up projections
  (`fuse_projections`, the default) against an engine built without them (the model's own separate layers);
- the step that reads 8 new Alpaca prompts while 8 sequences decode, each prompt's chunk read on its own
  (`unpadded = True`, the default) against one left-padded batch (`unpadded = False`): with the prefix cache
  off (whole prompts, 33-52 tokens) and on, as served (the shared 24-token template is reused, the rest read).
Runs alternate between the two sides; medians printed with their ratio.

    python benchmarks/step_parts.py
"""
import statistics, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch
import alpaca_nb.server as S
from server import alpaca_prompts
from fused_step import one_step


def decode_ms(e, prompts, rows:int, steps:int=20) -> float:
    "Milliseconds of a decoding step of `rows` sequences (mean over `steps` steps)"
    e.submit(prompts[:rows], dict(max_tokens=steps + 10, temperature=0)); e._take()
    while e.prefilling or e.waiting or len(e.running) < rows: e.step()
    e.step()
    t = time.perf_counter()
    for _ in range(steps): e.step()
    ms = (time.perf_counter() - t) / steps * 1000
    for s in [*e.running, *e.prefilling]: s.cancelled = True
    while e.running or e.prefilling: e.step()
    return ms


def compare(label, a, b, runs:int=5):
    "Time `a()` and `b()` alternately; print their medians and b/a"
    r = {0: [], 1: []}
    for _ in range(runs):
        for i, f in enumerate((a, b)): r[i].append(f())
    ma, mb = statistics.median(r[0]), statistics.median(r[1])
    print(f"{label}: {ma:.1f} vs {mb:.1f} ms (median of {runs}; ratio {mb / ma:.2f}x)", flush=True)


if __name__ == "__main__":
    prompts = alpaca_prompts()
    joined = S.HFEngine("default", dtype="bfloat16", max_num_seqs=16)
    keep, S.fuse_projections = S.fuse_projections, lambda model: 0
    try: apart = S.HFEngine("default", dtype="bfloat16", max_num_seqs=16)
    finally: S.fuse_projections = keep
    assert joined.lean is not None and apart.lean is not None and joined.joined and not apart.joined
    for e in (joined, apart): e.start = lambda: None  # stepped here, on this thread
    with torch.inference_mode():
        for rows in (1, 16):
            compare(f"decoding step of {rows:>2}, joined vs separate projections",
                    lambda: decode_ms(joined, prompts, rows), lambda: decode_ms(apart, prompts, rows))
        kept = joined.prefix
        for prefix in (None, kept):
            def reading(unpadded):
                joined.unpadded, joined.prefix = unpadded, prefix
                return one_step(joined, prompts, fused=True, reading=8)
            compare(f"8 decoding + 8 prompts read, prefix cache {'on' if prefix else 'off'}, unpadded vs padded",
                    lambda: reading(True), lambda: reading(False), runs=7)
