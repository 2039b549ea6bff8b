"""Batched vs one-at-a-time generation with `alpaca_nb.eval.generate_outputs`: tokens/s of each and their ratio.

Both runs decode the same prompts (from our held-out eval set) greedily with the same model; only
`batch_size` differs. Each is timed `--repeats` times, interleaved, and the fastest run counts.
Tokens are the tokens each answer really produced (EOS included), so work spent on rows that
already finished inside a batch does not count in favour of batching. Torch runs on one thread by
default: on a machine shared with other jobs, two OpenMP threads spend much of their time waiting
for each other, and timings then swing by several times from run to run (`--threads 0` for
torch's default).

    python benchmarks/eval_generate.py                   # tiny random LLaMA (seconds)
    python benchmarks/eval_generate.py --model default   # embedded Gemma 3 270M (minutes)
"""
import argparse, time

def run(model, items, batch_size, max_new_tokens):
    from alpaca_nb.eval import generate_outputs
    t0 = time.perf_counter()
    outs = generate_outputs(model, items, batch_size=batch_size, max_new_tokens=max_new_tokens, progress=False)
    secs = time.perf_counter() - t0
    return outs, sum(o["num_tokens"] for o in outs), secs

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="tiny", help="'tiny' (random LLaMA), 'default' (Gemma 3 270M) or a checkpoint directory")
    p.add_argument("--n_prompts", type=int, default=32, help="eval prompts to answer")
    p.add_argument("--batch_size", type=int, default=16, help="batch size of the batched run")
    p.add_argument("--max_new_tokens", type=int, default=64, help="longest answer")
    p.add_argument("--eval_set", default=None, help="eval set path or URL (default: ours)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each, interleaved; the fastest counts (the CPU may be shared)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (0 = torch's default); one by default, see above")
    a = p.parse_args()
    import torch
    from alpaca_nb.eval import load_eval_set
    from alpaca_nb.models import load_model_and_tokenizer
    if a.threads > 0: torch.set_num_threads(a.threads)
    items = load_eval_set(a.eval_set, limit=a.n_prompts)
    t0 = time.perf_counter()
    model = load_model_and_tokenizer(a.model)
    print(f"model {a.model}: loaded in {time.perf_counter() - t0:.1f} s; {len(items)} prompts, "
          f"max_new_tokens {a.max_new_tokens}, torch threads {torch.get_num_threads()}")
    run(model, items[:2], 2, 4)  # warm-up
    s1 = sb = float("inf")
    for _ in range(a.repeats):
        one, tok1, secs = run(model, items, 1, a.max_new_tokens); s1 = min(s1, secs)
        bat, tokb, secs = run(model, items, a.batch_size, a.max_new_tokens); sb = min(sb, secs)
    same = sum(x["output"] == y["output"] for x, y in zip(one, bat))
    print(f"one at a time : {tok1:6d} tokens in {s1:7.2f} s = {tok1 / s1:8.1f} tokens/s")
    print(f"batch size {a.batch_size:<3d}: {tokb:6d} tokens in {sb:7.2f} s = {tokb / sb:8.1f} tokens/s")
    print(f"speed-up      : {(tokb / sb) / (tok1 / s1):.2f}x tokens/s")
    print(f"identical answers: {same}/{len(items)}")

if __name__ == "__main__": main()
