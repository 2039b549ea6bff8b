"""Host memory of FSDP training: the largest rank's peak RSS against a one-process run of the same training.

Runs `alpaca_nb_train` twice on the same examples with the same global batch: once as one process, once as
--ranks FSDP ranks under torchrun (`full_shard auto_wrap`, each rank building the model on the meta device and
reading only its own rows of the checkpoint). Each run writes train_results.json with its peak resident memory
(ru_maxrss: the largest rank's, the sum over ranks, and the largest rank's once the model was loaded); this
script prints them and the ratio largest rank / one process. Under full sharding each rank keeps 1/N of the
weights, gradients and Adam moments, so the ratio falls towards 1/N plus what every rank holds whole (the
Python process, a layer's gathered parameters, activations).

Example: python benchmarks/fsdp_memory.py                 # Gemma 3 270M, 2 ranks, 2 steps, global batch 2, bf16
         python benchmarks/fsdp_memory.py --model tiny    # the tiny test LLaMA, a quick smoke run
         python benchmarks/fsdp_memory.py --malloc_mmap_threshold 262144   # glibc thresholds set in the environment
"""
import argparse, json, os, shutil, subprocess, sys, tempfile
from pathlib import Path

# benchmarks/ is not a package: keep sibling scripts (e.g. tokenize.py) from shadowing standard modules
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="default", help="'default' (Gemma 3 270M), 'tiny' (test LLaMA) or a checkpoint directory")
    p.add_argument("--ranks", type=int, default=2, help="FSDP ranks of the sharded run")
    p.add_argument("--batch", type=int, default=2, help="global batch (the one process takes it whole, each rank batch/ranks)")
    p.add_argument("--steps", type=int, default=2, help="optimizer steps")
    p.add_argument("--flags", default="--bf16", help="extra alpaca_nb_train flags for both runs (default: %(default)s)")
    p.add_argument("--malloc_mmap_threshold", type=int, default=0,
                   help="bytes: run both trainings with glibc's MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ set to this "
                        "value in the environment (e.g. 262144); 0 = nothing set, so the trainer fixes both at 4 MiB")
    p.add_argument("--keep", action="store_true", help="keep the work directory (printed)")
    return p.parse_args(argv)


def run(cmd, out, threads, malloc=0):
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    if malloc: env.update(MALLOC_MMAP_THRESHOLD_=str(malloc), MALLOC_TRIM_THRESHOLD_=str(malloc))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode: raise SystemExit(f"{' '.join(cmd[:6])} ... failed:\n{r.stderr[-4000:]}")
    return json.loads((out/"train_results.json").read_text())


def main(a):
    from alpaca_nb.prompts import read_records, data_path, write_json_atomic
    from alpaca_nb.models import resolve_model
    if a.batch % a.ranks: raise SystemExit(f"--batch {a.batch} does not split over --ranks {a.ranks}")
    work = Path(tempfile.mkdtemp(prefix="bench_fsdp_mem_"))
    try:
        write_json_atomic(work/"train.json", read_records(data_path("seed_tasks.jsonl"))[:max(8, a.batch * a.steps)])
        resolve_model(a.model)  # build/cache the checkpoint once, outside the measured runs
        common = ["--model_name_or_path", a.model, "--data_path", str(work/"train.json"), "--max_steps", str(a.steps),
                  "--save_strategy", "no", "--logging_steps", "1", "--disable_tqdm", *a.flags.split()]
        cores = os.cpu_count()
        one = run([sys.executable, "-m", "alpaca_nb.train", *common, "--output_dir", str(work/"one"),
                   "--per_device_train_batch_size", str(a.batch)], work/"one", cores, a.malloc_mmap_threshold)
        many = run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={a.ranks}",
                    "-m", "alpaca_nb.train", *common, "--output_dir", str(work/"ranks"), "--fsdp", "full_shard auto_wrap",
                    "--per_device_train_batch_size", str(a.batch // a.ranks)], work/"ranks", max(1, cores // a.ranks),
                   a.malloc_mmap_threshold)
        print(f"model {a.model}: {a.steps} steps, global batch {a.batch}, flags {a.flags!r}; {cores} CPUs; glibc malloc "
              + (f"mmap/trim threshold set to {a.malloc_mmap_threshold} bytes in the environment" if a.malloc_mmap_threshold
                 else "thresholds as the trainer fixes them (4 MiB)"))
        print(f"\n{'':34} {'peak RSS MB':>11} {'after load MB':>13} {'train loss':>10}")
        print(f"{'one process':34} {one['peak_rss_mb']:11.0f} {one['peak_rss_mb_after_load_max_rank']:13.0f} {one['train_loss']:10.4f}")
        print(f"{f'{a.ranks} FSDP ranks, largest rank':34} {many['peak_rss_mb_max_rank']:11.0f} "
              f"{many['peak_rss_mb_after_load_max_rank']:13.0f} {many['train_loss']:10.4f}")
        print(f"{f'{a.ranks} FSDP ranks, sum over ranks':34} {many['peak_rss_mb']:11.0f}")
        print(f"\nlargest rank / one process: {many['peak_rss_mb_max_rank'] / one['peak_rss_mb']:.2f} "
              f"(peak RSS; target <= 0.6 for 2 ranks)")
        if a.keep: print(f"work directory: {work}")
    finally:
        if not a.keep: shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(parse_args())
