"""Training throughput of alpaca_nb.train against the original Alpaca recipe, measured in one run.

The original recipe is Hugging Face's Trainer fed the way the original train.py feeds it: every example
tokenized on its own (prompt, then prompt + response + EOS), the prompt masked with -100, batches padded
to their longest example, logits computed for every position (full vocabulary), fp32 throughout, AdamW
("adamw_torch"), cosine schedule with 3% warm-up. Ours is `alpaca_nb_train` with the flags in --ours.
Both train the same model on the same examples for one epoch with the same global batch and learning
rate; each runs in its own subprocess so that its peak memory (max RSS) is its own.

When TRL is installed (it is never a dependency), its `SFTTrainer` runs too, as a user would pick it
instead: the same examples as prompt/completion pairs (our prompt template, the response as completion),
loss on the completion only, bf16, no gradient checkpointing, same global batch, one epoch, same learning
rate and cosine schedule with 3% warm-up; `--trl-packing` adds its `packing=True`.

Ours runs twice: as one process using every core as threads (as the original does), and as --ranks FSDP
ranks under torchrun (default: one per core), which is how the recipe is meant to use a machine's cores;
the original's Trainer cannot shard on a CPU (it falls back to DDP), so it runs as one process.

Printed: supervised (response) tokens per second of each, their peak memory (for the ranks: the sum of
the ranks' peaks, torchrun's launcher not counted), the speed-up and memory ratio, and the loss the final
models reach on the same held-out examples (so the speed is compared at equal quality). Then our tokens/s
on the tiny test LLaMA with 1 and 2 CPU ranks under torchrun.

Example: python benchmarks/train.py                # Gemma 3 270M (the embedded default model)
         python benchmarks/train.py --model tiny    # the tiny test LLaMA, a quick smoke run

On a machine shared with other jobs, set OMP_WAIT_POLICY=PASSIVE (or --threads 1): with the default
spinning OpenMP threads, a process whose second core is taken by someone else slows down many times over
(measured here: the tiny LLaMA 20x, Gemma 2-4x), which says nothing about either trainer.
"""
import argparse, json, os, resource, shlex, shutil, subprocess, sys, tempfile, time
from pathlib import Path

# benchmarks/ is not a package: keep sibling scripts (e.g. tokenize.py) from shadowing standard modules
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="default", help="'default' (Gemma 3 270M), 'tiny' (test LLaMA) or a checkpoint directory")
    p.add_argument("--data", default=None, help="Alpaca JSON/JSONL records (default: alpaca_nb's own seed tasks)")
    p.add_argument("--examples", type=int, default=64, help="training examples (one epoch; rounded down to a multiple of the global batch)")
    p.add_argument("--eval-examples", type=int, default=32, help="held-out examples for the final loss")
    p.add_argument("--batch", type=int, default=4, help="micro-batch (per_device_train_batch_size)")
    p.add_argument("--accum", type=int, default=2, help="gradient_accumulation_steps (global batch = batch x accum)")
    p.add_argument("--lr", type=float, default=2e-5, help="peak learning rate")
    p.add_argument("--max-length", type=int, default=512, help="model_max_length")
    p.add_argument("--ours", default="--bf16 --group_by_length --freeze_embeddings",
                   help="extra alpaca_nb_train flags for our run (default: %(default)s)")
    p.add_argument("--skip-original", action="store_true", help="do not run the original recipe")
    p.add_argument("--skip-trl", action="store_true", help="do not run TRL's SFTTrainer (skipped anyway when trl is not installed)")
    p.add_argument("--trl-packing", action="store_true", help="run TRL's SFTTrainer with packing=True")
    p.add_argument("--skip-ranks", action="store_true", help="do not run the tiny LLaMA 1-vs-2-rank measurement")
    p.add_argument("--rank-steps", type=int, default=40, help="optimizer steps of the tiny LLaMA rank runs")
    p.add_argument("--ranks", type=int, default=os.cpu_count(),
                   help="also run ours as this many FSDP ranks under torchrun (cores/ranks threads each), the recipe's own "
                        "way to use every core; 1 = skip (default: one per core)")
    p.add_argument("--fsdp", default="full_shard auto_wrap", help="--fsdp of the multi-rank run (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads of the single-process runs (default: torch's choice, one per core)")
    p.add_argument("--worker", choices=["original", "ours", "trl"], help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ---- shared by both workers -------------------------------------------------------------------------

def eval_loss(model_dir, eval_path, max_length):
    "Mean loss per supervised token of the model saved in `model_dir` on the held-out records (fp32)."
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from alpaca_nb.prompts import read_records
    from alpaca_nb.tokenization import tokenize_dataset
    from alpaca_nb.train import SupervisedCausalLM, supervised_count, pad_batch
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    ds = tokenize_dataset(tok, read_records(eval_path), max_length=max_length)
    net, total, count = SupervisedCausalLM(model), 0.0, 0
    with torch.no_grad():
        for i in range(0, len(ds), 4):
            exs = [ds[j] for j in range(i, min(i + 4, len(ds)))]
            total += net(**pad_batch(exs, tok.pad_token_id)).item()
            count += sum(supervised_count(e["labels"]) for e in exs)
    return total / count


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the original recipe (HF Trainer), written from its description -----------------------------------

def original_examples(tokenizer, records, max_length):
    "The original's preprocessing: each example tokenized alone, prompt and full text separately."
    from alpaca_nb.prompts import format_prompt
    out = []
    for r in records:
        prompt = format_prompt(r["instruction"], r.get("input", ""))
        full = prompt + r["output"] + tokenizer.eos_token
        ids = tokenizer(full, max_length=max_length, truncation=True)["input_ids"]
        n_prompt = len(tokenizer(prompt, max_length=max_length, truncation=True)["input_ids"])
        out.append(dict(input_ids=ids, labels=[-100] * n_prompt + ids[n_prompt:]))
    return out


def run_original(a, work):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments
    from transformers.utils import logging as hf_logging
    from alpaca_nb.models import resolve_model
    from alpaca_nb.prompts import read_records
    from alpaca_nb.tokenization import add_missing_special_tokens
    hf_logging.disable_progress_bar(); hf_logging.set_verbosity_error()
    path = resolve_model(a.model)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(path, model_max_length=a.max_length, padding_side="right")
    add_missing_special_tokens(tok, model)
    train = original_examples(tok, read_records(work/"train.json"), a.max_length)
    pad = tok.pad_token_id

    def collate(exs):  # pad to the longest; attention mask from input_ids != pad, as the original does
        n = max(len(e["input_ids"]) for e in exs)
        ids = torch.tensor([e["input_ids"] + [pad] * (n - len(e["input_ids"])) for e in exs])
        labels = torch.tensor([e["labels"] + [-100] * (n - len(e["labels"])) for e in exs])
        return dict(input_ids=ids, labels=labels, attention_mask=ids.ne(pad))

    args = TrainingArguments(output_dir=str(work/"hf"), num_train_epochs=1, per_device_train_batch_size=a.batch,
                             gradient_accumulation_steps=a.accum, learning_rate=a.lr, weight_decay=0.0,
                             warmup_steps=0.03, lr_scheduler_type="cosine", logging_steps=1, save_strategy="no",
                             report_to="none", optim="adamw_torch", disable_tqdm=True, seed=42, use_cpu=True)
    trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=collate)
    res = trainer.train()
    secs = res.metrics["train_runtime"]
    trainer.save_model(str(work/"hf-model")); tok.save_pretrained(str(work/"hf-model"))
    sup = sum(sum(1 for l in e["labels"][1:] if l != -100) for e in train)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return dict(tokens_per_s=sup / secs, seconds=secs, supervised_tokens=sup, peak_rss_mb=peak_rss_mb(),
                first_loss=losses[0], last_loss=losses[-1], model_dir=str(work/"hf-model"))


def run_trl(a, work):
    "TRL's SFTTrainer on the same examples as prompt/completion pairs, completion-only loss, bf16."
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig, SFTTrainer
    from alpaca_nb.models import resolve_model
    from alpaca_nb.prompts import format_prompt, read_records
    import datasets
    hf_logging.disable_progress_bar(); hf_logging.set_verbosity_error(); datasets.disable_progress_bars()
    path = resolve_model(a.model)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None: tok.pad_token = tok.eos_token  # (the tiny LLaMA); Gemma has one
    records = read_records(work/"train.json")
    data = Dataset.from_list([dict(prompt=format_prompt(r["instruction"], r.get("input", "")), completion=r["output"])
                              for r in records])
    args = SFTConfig(output_dir=str(work/"trl"), num_train_epochs=1, per_device_train_batch_size=a.batch,
                     gradient_accumulation_steps=a.accum, learning_rate=a.lr, weight_decay=0.0, warmup_steps=0.03,
                     lr_scheduler_type="cosine", logging_steps=1, save_strategy="no", report_to="none", bf16=True,
                     gradient_checkpointing=False, completion_only_loss=True, max_length=a.max_length,
                     packing=a.trl_packing, disable_tqdm=True, seed=42, use_cpu=True, dataset_num_proc=1)
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tok)
    # supervised tokens: the completion tokens (EOS included) that the loss sees, counted from TRL's own tokenization
    ds = trainer.train_dataset
    if "labels" in ds.column_names: sup = sum(sum(1 for l in ls[1:] if l != -100) for ls in ds["labels"])
    else: sup = sum(sum(m[1:]) for m in ds["completion_mask"])  # (TRL versions that mask in the collator)
    res = trainer.train()
    secs = res.metrics["train_runtime"]
    trainer.save_model(str(work/"trl-model")); tok.save_pretrained(str(work/"trl-model"))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    import trl
    return dict(tokens_per_s=sup / secs, seconds=secs, supervised_tokens=sup, peak_rss_mb=peak_rss_mb(),
                first_loss=losses[0], last_loss=losses[-1], model_dir=str(work/"trl-model"), version=trl.__version__)


def run_ours(a, work):
    from alpaca_nb.train import alpaca_nb_train
    from fastcore.script import anno_parser
    ns, unknown = anno_parser(alpaca_nb_train).parse_known_args(shlex.split(a.ours))
    if unknown: raise SystemExit(f"--ours: unknown flags {unknown}")
    given = {k: v for k, v in vars(ns).items() if k not in ("pdb", "xtra") and f"--{k}" in a.ours}
    res = alpaca_nb_train(model_name_or_path=a.model, data_path=str(work/"train.json"), output_dir=str(work/"ours"),
                          num_train_epochs=1, per_device_train_batch_size=a.batch, gradient_accumulation_steps=a.accum,
                          learning_rate=a.lr, warmup_ratio=0.03, lr_scheduler_type="cosine", logging_steps=1,
                          save_strategy="no", model_max_length=a.max_length, disable_tqdm=True, **given)
    from alpaca_nb.prompts import read_jsonl
    losses = [r["loss"] for r in read_jsonl(res.metrics) if "loss" in r]
    return dict(tokens_per_s=res.tokens_per_s, seconds=res.train_seconds, supervised_tokens=res.supervised_tokens,
                peak_rss_mb=peak_rss_mb(), first_loss=losses[0], last_loss=losses[-1], model_dir=str(work/"ours"))


def worker(a):
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    work = Path(a.workdir)
    res = dict(original=run_original, ours=run_ours, trl=run_trl)[a.worker](a, work)
    res["eval_loss"] = eval_loss(res["model_dir"], work/"eval.json", a.max_length)
    print("RESULT " + json.dumps(res), flush=True)


# ---- the parent: prepare data, run the workers, print the comparison ----------------------------------

def spawn(a, kind, work):
    cmd = [sys.executable, __file__, "--worker", kind, "--workdir", str(work), "--model", a.model, "--batch", str(a.batch),
           "--accum", str(a.accum), "--lr", str(a.lr), "--max-length", str(a.max_length), "--ours", a.ours] + (["--threads", str(a.threads)] if a.threads else []) \
          + (["--trl-packing"] if a.trl_packing else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    line = next((l for l in r.stdout.splitlines() if l.startswith("RESULT ")), None)
    if r.returncode or line is None: raise SystemExit(f"{kind} run failed:\n{r.stderr[-4000:]}")
    return json.loads(line[len("RESULT "):])


def spawn_ranks(a, work, n):
    "Ours as `n` FSDP ranks under torchrun, same global batch and examples as the single-process runs."
    if a.accum % n == 0: per_device, accum = a.batch, a.accum // n
    elif a.batch % n == 0: per_device, accum = a.batch // n, a.accum
    else: raise SystemExit(f"--ranks {n}: the global batch {a.batch} x {a.accum} does not split over {n} ranks")
    out = work/f"ours-{n}ranks"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}", "-m", "alpaca_nb.train",
           "--model_name_or_path", a.model, "--data_path", str(work/"train.json"), "--output_dir", str(out),
           "--num_train_epochs", "1", "--per_device_train_batch_size", str(per_device), "--gradient_accumulation_steps", str(accum),
           "--learning_rate", str(a.lr), "--warmup_ratio", "0.03", "--lr_scheduler_type", "cosine", "--logging_steps", "1",
           "--save_strategy", "no", "--model_max_length", str(a.max_length), "--disable_tqdm", "--fsdp", a.fsdp] + shlex.split(a.ours)
    threads = max(1, (a.threads or os.cpu_count()) // n)
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    if r.returncode: raise SystemExit(f"ours with {n} ranks failed:\n{r.stderr[-4000:]}")
    res = json.loads((out/"train_results.json").read_text())
    losses = [json.loads(l)["loss"] for l in (out/"metrics.jsonl").read_text().splitlines() if '"loss"' in l]
    ev = subprocess.run([sys.executable, "-c", "import sys, json; sys.path[:0] = [sys.argv[1]]; import train as b; "
                         "print(json.dumps(b.eval_loss(sys.argv[2], sys.argv[3], int(sys.argv[4]))))",
                         str(Path(__file__).parent), str(out), str(work/"eval.json"), str(a.max_length)],
                        capture_output=True, text=True)
    if ev.returncode: raise SystemExit(f"eval of the {n}-rank model failed:\n{ev.stderr[-4000:]}")
    return dict(tokens_per_s=res["tokens_per_s"], seconds=res["train_seconds"], supervised_tokens=res["supervised_tokens"],
                peak_rss_mb=res["peak_rss_mb"], first_loss=losses[0], last_loss=losses[-1],
                eval_loss=json.loads(ev.stdout.strip().splitlines()[-1]), threads=threads, per_device=per_device, accum=accum)


def rank_run(nproc, work, steps, threads):
    "Our tokens/s on the tiny LLaMA with `nproc` CPU ranks of `threads` threads each, global batch 16."
    out = work/f"tiny-{nproc}"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", "-m", "alpaca_nb.train",
           "--model_name_or_path", "tiny", "--data_path", str(work/"train.json"), "--output_dir", str(out),
           "--max_steps", str(steps), "--per_device_train_batch_size", "8", "--gradient_accumulation_steps", str(2 // nproc),
           "--save_strategy", "no", "--logging_steps", "10", "--learning_rate", "1e-3", "--disable_tqdm",
           "--fsdp", "full_shard auto_wrap", "--group_by_length"]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    if r.returncode: raise SystemExit(f"tiny LLaMA with {nproc} ranks failed:\n{r.stderr[-4000:]}")
    return json.loads((out/"train_results.json").read_text())


def main(a):
    from alpaca_nb.prompts import read_records, data_path
    records = read_records(a.data or data_path("seed_tasks.jsonl"))
    gbs = a.batch * a.accum
    n = min(a.examples, len(records) - a.eval_examples) // gbs * gbs
    if n < gbs: raise SystemExit(f"not enough records: {len(records)} for {a.examples} + {a.eval_examples} examples")
    work = Path(tempfile.mkdtemp(prefix="bench_train_"))
    try: measure(a, work, records, n, gbs)
    finally: shutil.rmtree(work, ignore_errors=True)  # two saved models: a couple of GB for Gemma


def measure(a, work, records, n, gbs):
    from alpaca_nb.prompts import write_json_atomic
    from alpaca_nb.models import resolve_model
    write_json_atomic(work/"train.json", records[:n]); write_json_atomic(work/"eval.json", records[n:n + a.eval_examples])
    resolve_model(a.model)  # build/cache the model once, outside the timed runs
    load = os.getloadavg()
    print(f"model {a.model}: {n} training examples, global batch {gbs} ({a.batch} x {a.accum}), 1 epoch, lr {a.lr}; "
          f"{a.eval_examples} held-out examples; {os.cpu_count()} CPUs, load average {load[0]:.1f} at start")
    print(f"ours: alpaca_nb_train {a.ours}")
    ours = spawn(a, "ours", work)
    rows = [(f"ours, 1 process x {a.threads or os.cpu_count()} threads", ours)]
    if a.ranks > 1:
        multi = spawn_ranks(a, work, a.ranks)
        rows.append((f"ours, {a.ranks} ranks x {multi['threads']} thread(s)", multi))
    if not a.skip_original:
        orig = spawn(a, "original", work)
        rows.insert(0, ("original (HF Trainer, fp32, full logits)", orig))
    import importlib.util
    trl_row = None
    if a.skip_trl: pass
    elif importlib.util.find_spec("trl") is None: print("TRL is not installed: no SFTTrainer row (pip install trl to add it)")
    else:
        trl_row = spawn(a, "trl", work)
        rows.append((f"TRL {trl_row['version']} SFTTrainer, bf16{', packing' if a.trl_packing else ''}", trl_row))
    print(f"\n{'':42} {'sup. tok/s':>10} {'seconds':>8} {'peak RSS MB':>11} {'loss first→last':>17} {'held-out loss':>13}")
    for name, r in rows:
        print(f"{name:42} {r['tokens_per_s']:10.1f} {r['seconds']:8.1f} {r['peak_rss_mb']:11.0f} "
              f"{r['first_loss']:8.3f}→{r['last_loss']:<7.3f} {r['eval_loss']:13.4f}")
    if not a.skip_original:
        for name, r in rows[1:]:
            print(f"\n{name} vs original: speed-up (supervised tokens/s) {r['tokens_per_s'] / orig['tokens_per_s']:.2f}x; "
                  f"peak memory (summed over processes) ours/original {r['peak_rss_mb'] / orig['peak_rss_mb']:.2f}; "
                  f"held-out loss ours - original {r['eval_loss'] - orig['eval_loss']:+.4f}")
    if trl_row:
        print(f"\nours, 1 process vs TRL SFTTrainer: speed-up (supervised tokens/s) {ours['tokens_per_s'] / trl_row['tokens_per_s']:.2f}x "
              f"(target >= 4x); peak memory ours/TRL {ours['peak_rss_mb'] / trl_row['peak_rss_mb']:.2f}; "
              f"held-out loss ours - TRL {ours['eval_loss'] - trl_row['eval_loss']:+.4f}")
    if not a.skip_ranks:
        cores = os.cpu_count()
        one, one_t1 = rank_run(1, work, a.rank_steps, a.threads or cores), rank_run(1, work, a.rank_steps, 1)
        two = rank_run(2, work, a.rank_steps, max(1, cores // 2))
        print(f"\ntiny LLaMA, ours, global batch 16, {a.rank_steps} steps, supervised tokens/s: "
              f"1 rank x {a.threads or cores} threads {one['tokens_per_s']:.0f}, 1 rank x 1 thread {one_t1['tokens_per_s']:.0f}, "
              f"2 ranks x {max(1, cores // 2)} thread(s) (FSDP full_shard, gloo) {two['tokens_per_s']:.0f} "
              f"(2 ranks / best single rank: {two['tokens_per_s'] / max(one['tokens_per_s'], one_t1['tokens_per_s']):.2f})")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min)")


if __name__ == "__main__":
    args = parse_args()
    worker(args) if args.worker else main(args)
