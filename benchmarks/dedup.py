"""Benchmark: exact ROUGE-L dedup (`alpaca_nb.filtering.dedup`) against the paper's naive loop.

For each size N it builds synthetic generations (template families, a long tail of rare words,
planted near-duplicates) or takes the instructions of a real file (--data), then:
  - runs `dedup` (wall time, on --n-jobs threads);
  - where N <= --naive-max, runs the naive loop with rouge_score in this process, checks that the
    decisions are equal and prints the ratio;
  - otherwise extrapolates the naive time from the pairs per second measured on the naive run
    (the naive loop scores each candidate against the whole pool so far: sum over candidates of
    pool size + kept before it).
It also times one `DedupIndex` decision (what `add_if_novel` does per call) on the largest pool, and prints peak memory (ru_maxrss).
Timings depend on what else runs on the machine: run it alone for clean numbers.
"""
import argparse, resource, sys, time

from alpaca_nb.filtering import DedupIndex, dedup, synthetic_instructions


def naive_dedup(instructions, pool=(), threshold=0.7):
    "The paper's loop with rouge_score: every candidate against the whole pool so far. Returns (keep, pairs scored)."
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    tok = scorer._tokenizer.tokenize
    kept, out, pairs = [tok(p) for p in pool], [], 0
    for s in instructions:
        t = tok(s)
        scores = [rouge_scorer._score_lcs(t, u).fmeasure for u in kept]
        pairs += len(scores)
        keep = not scores or max(scores) <= threshold
        out.append(keep)
        if keep: kept.append(t)
    return out, pairs


def naive_pairs(keep, n_pool):
    "How many pairs the naive loop scores for these decisions."
    total, pool = 0, n_pool
    for k in keep:
        total += pool
        pool += k
    return total


def peak_gb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6   # ru_maxrss is in KiB on Linux


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,10000,52000", help="comma-separated numbers of instructions (default: %(default)s)")
    ap.add_argument("--data", help="use the instructions of this file (Alpaca JSON/JSONL or seed_tasks.jsonl) instead of synthetic ones; sizes are capped at its length")
    ap.add_argument("--pool", help="a pool file (seed tasks or instruction data); default: no pool")
    ap.add_argument("--threshold", type=float, default=0.7, help="ROUGE-L threshold (default: %(default)s)")
    ap.add_argument("--n-jobs", type=int, default=2, help="threads for dedup (default: %(default)s)")
    ap.add_argument("--naive-max", type=int, default=2000, help="run the naive loop up to this size (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="seed for the synthetic data (default: %(default)s)")
    ap.add_argument("--dup-rate", type=float, default=0.2, help="share of planted near-duplicates in the synthetic data (default: %(default)s)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    if args.data:
        from alpaca_nb.prompts import read_records
        data = [r["instruction"] for r in read_records(args.data)]
        sizes = sorted({min(n, len(data)) for n in sizes})
        source = f"{args.data} ({len(data)} instructions)"
    else:
        data = synthetic_instructions(max(sizes), seed=args.seed, dup_rate=args.dup_rate)
        source = f"synthetic_instructions(seed={args.seed}, dup_rate={args.dup_rate})"
    pool = []
    if args.pool:
        from alpaca_nb.prompts import read_records
        pool = [r["instruction"] for r in read_records(args.pool)]
    print(f"data: {source}; pool: {len(pool)}; threshold {args.threshold}; dedup on {args.n_jobs} threads")

    rate = None   # naive pairs per second, from the largest naive run
    for n in sizes:
        xs = data[:n]
        t0 = time.perf_counter()
        ours = dedup(xs, pool, args.threshold, n_jobs=args.n_jobs)
        t_ours = time.perf_counter() - t0
        line = f"N={n:>6}: dedup {t_ours:7.2f} s, kept {sum(ours)}"
        if n <= args.naive_max:
            t0 = time.perf_counter()
            ref, pairs = naive_dedup(xs, pool, args.threshold)
            t_naive = time.perf_counter() - t0
            rate = pairs / t_naive
            equal = ref == ours
            line += (f" | naive {t_naive:8.1f} s ({pairs} pairs, {1e6 / rate:.1f} us/pair)"
                     f" | decisions equal: {equal} | speed-up x{t_naive / t_ours:,.0f}")
            if not equal:
                print(line); print("MISMATCH at", [i for i, (a, b) in enumerate(zip(ref, ours)) if a != b][:10]); sys.exit(1)
        elif rate:
            pairs = naive_pairs(ours, len(pool))
            est = pairs / rate
            line += (f" | naive extrapolated {est:,.0f} s = {est / 3600:.1f} h ({pairs:,} pairs at the measured rate)"
                     f" | speed-up x{est / t_ours:,.0f}")
        print(line, flush=True)
    print(f"peak memory so far (this process): {peak_gb():.2f} GB")

    # inline use: one call per new instruction against a pool of the largest size
    n = sizes[-1]
    t0 = time.perf_counter()
    index = DedupIndex(pool + data[:n], threshold=args.threshold)
    t_build = time.perf_counter() - t0
    probes = synthetic_instructions(300, seed=args.seed + 1)
    t0 = time.perf_counter()
    for s in probes: index.check(s)
    t_check = (time.perf_counter() - t0) / len(probes)
    index.details = True          # the same pool, now also asked for the top 10 and the mean
    t0 = time.perf_counter()
    for s in probes[:30]: index.check(s)
    t_detail = (time.perf_counter() - t0) / 30
    print(f"DedupIndex on a pool of {len(index)}: built in {t_build:.1f} s; check {1e3 * t_check:.2f} ms a call, "
          f"with details (top 10 + mean) {1e3 * t_detail:.1f} ms a call")
    print(f"peak memory (this process): {peak_gb():.2f} GB")


if __name__ == "__main__":
    main()
