"""Tokenize + mask 52K Alpaca-style examples: alpaca_nb's batched path vs the original recipe's method.

The original (Stanford Alpaca's train.py) tokenizes every example twice, one at a time, with the slow
(sentencepiece, pure-Python wrapper) LLaMA tokenizer: the prompt alone, then prompt + output + EOS, and masks
the first len(prompt ids) labels. alpaca_nb tokenizes all prompts and all responses in two batched calls to
the Rust tokenizer and concatenates. Both run here on the same tokenizer (the same sentencepiece model).

The original is slow, so by default it is timed on a subsample and extrapolated to the full set (printed as
such); `--orig_sample 0` times it on everything. Its ids and labels are then compared with ours on the
subsample: they must be identical wherever the original's mask is boundary-correct (the prompt's tokens are a
prefix of the full text's tokens), and we show what goes wrong where it is not.

Run:  python benchmarks/tokenization.py            (tiny test LLaMA, 52,002 synthetic examples)
      python benchmarks/tokenization.py --data /work/shared/alpaca_data.json --model /path/with/tokenizer.model
"""
import os, sys
# benchmark this checkout's package (the repo root), whatever is installed
_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(_here))
import argparse, random, time
from pathlib import Path

WORDS = ("the a an of to and in is for on with as by at from that this it be are was can will your their "
         "write list explain describe give find create summarize classify translate rewrite suggest compare "
         "generate identify name calculate convert edit design outline brainstorm answer evaluate choose "
         "story poem email sentence paragraph list recipe plan reason example question answer idea word "
         "number city country book movie song company product customer team student teacher doctor "
         "healthy happy quick simple important different new old small large bright dark warm cold "
         "water energy climate science history music art computer data model network language market "
         "three five ten first second best most more less very often always never usually "
         "café naïve résumé 東京 München 🙂").split()

def synth_records(n, seed=0):
    "n Alpaca-like records: ~40% with an input; outputs ~45 words on average (long tail), a fifth of them lists; 5% start with a newline or space."
    rng = random.Random(seed)
    words = lambda k: " ".join(rng.choice(WORDS) for _ in range(k))
    out = []
    for i in range(n):
        instruction = words(rng.randint(4, 20)).capitalize() + rng.choice([".", "?", ":"])
        inp = words(rng.randint(3, 40)).capitalize() + "." if rng.random() < 0.4 else ""
        if rng.random() < 0.2:
            output = "\n".join(f"{j}. {words(rng.randint(2, 12))}" for j in range(1, rng.randint(2, 7)))
        else:
            output = words(min(300, 1 + int(rng.expovariate(1/45)))).capitalize() + "."
        r = rng.random()
        if r < 0.03: output = "\n" + output
        elif r < 0.05: output = " " + output
        out.append(dict(instruction=instruction, input=inp, output=output))
    return out

def slow_llama_tokenizer(model_dir, fast):
    "The original's tokenizer: sentencepiece through transformers' pure-Python wrapper, BOS added, `[PAD]` added."
    from transformers.tokenization_utils_sentencepiece import SentencePieceBackend
    class SlowLlamaTokenizer(SentencePieceBackend):
        def build_inputs_with_special_tokens(self, a, b=None):
            return [self.bos_token_id] + a + ([] if b is None else [self.bos_token_id] + b)
    spm = Path(model_dir)/"tokenizer.model"
    if not spm.exists(): return None
    slow = SlowLlamaTokenizer(vocab_file=str(spm), bos_token=fast.bos_token, eos_token=fast.eos_token,
                              unk_token=fast.unk_token, model_max_length=fast.model_max_length)
    slow.add_special_tokens({"pad_token": "[PAD]"})
    return slow

def original_method(tokenizer, records, max_length):
    "The original recipe's preprocess(): two per-example tokenizations, first len(prompt ids) labels masked."
    from alpaca_nb.prompts import format_prompt
    sources = [format_prompt(r["instruction"], r.get("input", "")) for r in records]
    targets = [f"{r['output']}{tokenizer.eos_token}" for r in records]
    def tok(texts):
        return [tokenizer(t, return_tensors="pt", padding="longest", max_length=max_length, truncation=True).input_ids[0]
                for t in texts]
    examples, prompts = tok([s + t for s, t in zip(sources, targets)]), tok(sources)
    out = []
    for ids, p in zip(examples, prompts):
        labels = ids.clone(); labels[:len(p)] = -100
        out.append((ids.tolist(), labels.tolist(), p.tolist()))
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--n", type=int, default=52002, help="number of synthetic examples (Alpaca has 52,002)")
    ap.add_argument("--data", help="use this Alpaca JSON/JSONL file instead of synthetic data")
    ap.add_argument("--model", default="tiny", help="model dir whose tokenizer to use ('tiny' = test LLaMA); needs tokenizer.model for the slow path")
    ap.add_argument("--max_length", type=int, default=512)
    ap.add_argument("--orig_sample", type=int, default=3000, help="time the original on this many examples and extrapolate (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)

    from transformers import AutoTokenizer
    from alpaca_nb.models import resolve_model
    from alpaca_nb.prompts import read_records, format_prompt
    from alpaca_nb.tokenization import tokenize_dataset, DEFAULT_PAD_TOKEN
    model_dir = resolve_model(a.model)
    records = read_records(a.data) if a.data else synth_records(a.n, a.seed)
    n = len(records)
    fast = AutoTokenizer.from_pretrained(model_dir); fast.add_special_tokens({"pad_token": DEFAULT_PAD_TOKEN})
    slow = slow_llama_tokenizer(model_dir, fast)
    if slow is None:
        print(f"{model_dir} has no tokenizer.model: timing the original's method with the fast tokenizer instead")
        slow = fast
    print(f"{n} examples from {a.data or 'the synthetic generator'}, tokenizer {model_dir} "
          f"(original: {type(slow).__name__}, ours: {type(fast).__name__})")

    t0, c0 = time.perf_counter(), time.process_time()
    ds = tokenize_dataset(fast, records, max_length=a.max_length)
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
    print(f"ours: {t_ours:.2f} s wall, {c_ours:.2f} s CPU (all threads) for all {n} examples "
          f"(incl. building the encoders and the report's counts), {n/t_ours:,.0f} examples/s")

    k = n if a.orig_sample <= 0 or a.orig_sample >= n else a.orig_sample
    sample = sorted(random.Random(a.seed).sample(range(n), k))
    t0, c0 = time.perf_counter(), time.process_time()
    orig = original_method(slow, [records[i] for i in sample], a.max_length)
    t_orig_k, c_orig_k = time.perf_counter() - t0, time.process_time() - c0
    t_orig, c_orig = t_orig_k * n / k, c_orig_k * n / k
    how = "measured" if k == n else f"measured on {k} random examples ({t_orig_k:.1f} s) and extrapolated"
    print(f"original: {t_orig:.1f} s wall, {c_orig:.1f} s CPU for {n} examples ({how}), {k/t_orig_k:,.0f} examples/s")
    print(f"speed-up: {t_orig/t_ours:.1f}x wall clock, {c_orig/c_ours:.1f}x CPU time "
          f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

    # correctness on the subsample
    ours = {src: i for i, src in enumerate(ds.source_index)}
    same = correct_orig = wrong_orig = zero_sup = 0
    mismatches = []
    for i, (ids, labels, p) in zip(sample, orig):
        if len(p) >= a.max_length:   # the original trains on an example with no supervised token; we drop it
            zero_sup += 1; assert i not in ours; continue
        boundary_ok = ids[:len(p)] == p
        e = ds[ours[i]]
        if boundary_ok:
            correct_orig += 1
            if e["input_ids"] == ids and e["labels"] == labels: same += 1
            else: mismatches.append(i)
        else:
            wrong_orig += 1
            sup = [t for t in labels if t != -100]
            r = records[i]
            assert fast.decode(sup, skip_special_tokens=True) != r["output"] or len(sup) != len([t for t in e["labels"] if t != -100])
    print(f"on the {k} compared examples: the original's mask is boundary-correct for {correct_orig}; "
          f"ours has identical ids and labels on {same} of them")
    print(f"boundary-incorrect for the original (prompt tokens not a prefix of the full tokens): {wrong_orig}; "
          f"prompt fills max_length (original trains on 0 tokens, we drop): {zero_sup}")
    if mismatches:
        print(f"MISMATCH on {len(mismatches)} boundary-correct examples, e.g. record {mismatches[0]}", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__": sys.exit(main())
