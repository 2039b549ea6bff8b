"""Benchmark of the generation loop (alpaca_nb.self_instruct).

1. Concurrency: the toy teacher behind our OpenAI-compatible server, reached through a loopback
   proxy that adds a fixed latency to every reply (200 ms by default, a fast hosted API). The same
   generation runs with --concurrency 1 and with --concurrency N (8 by default); the script prints
   requests/s of both and their ratio (the target is >= 7x at 8). The endpoint runs in its own
   process. Every request goes through the whole loop: HTTP, parsing, rule filters, ROUGE-L dedup,
   the append. One prompt per request by default: at an artificial 200 ms a request, 8 requests in
   flight are 40 requests/s, and with the original's 5 prompts per request (about 17 items to
   deduplicate each) the single writer, not the concurrency, would set the pace; the "writer" line
   shows how busy it was. Real teachers take seconds to tens of seconds per request.
2. With --teacher: tokens/s of the embedded default teacher (Gemma 3 270M on the CPU), one prompt per
   request and a batch of prompts per request, measured through the same HTTP path.

Run: python benchmarks/generate.py [--concurrency 8] [--latency 0.2] [--teacher]
"""
import sys
from pathlib import Path
# Other scripts in this folder are named like stdlib modules (tokenize.py): keep the folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import argparse, tempfile, time


def requests_per_second(base_url, concurrency, n_requests, request_batch_size):
    "Requests/s of a generation run that sends exactly `n_requests` requests."
    from alpaca_nb.self_instruct import alpaca_nb_generate
    s = alpaca_nb_generate(output_dir=tempfile.mkdtemp(), base_url=base_url, model_name="toy", num_instructions_to_generate=10**9,
                           max_requests=n_requests, concurrency=concurrency, request_batch_size=request_batch_size,
                           seed=0, quiet=True)
    assert s["requests"]["sent"] == n_requests and s["requests"]["answered"] == n_requests, s["requests"]
    return n_requests / s["wall_time_s"], s


def serve_toy(latency):
    "Serve the toy teacher behind a proxy adding `latency`; print the proxy's URL; serve until stdin closes."
    from alpaca_nb.server import FunctionEngine, serve_in_thread
    from alpaca_nb.self_instruct import FaultyProxy, toy_teacher
    engine = FunctionEngine(lambda prompt, params: toy_teacher(prompt, params["seed"]), "toy")
    with serve_in_thread(engine) as srv, FaultyProxy(srv.base_url, latency=latency) as px:
        print(px.base_url, flush=True)
        sys.stdin.read()


def bench_concurrency(args):
    import subprocess
    # The endpoint runs in its own process, as a real one would: it must not share this process's CPU time (GIL).
    server = subprocess.Popen([sys.executable, __file__, "--serve_toy", "--latency", str(args.latency)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()
        requests_per_second(base_url, 2, 4, args.request_batch_size)  # warm up imports and connections
        rates = {}
        for c in (1, args.concurrency):
            n = args.requests_per_slot * c
            rates[c], s = requests_per_second(base_url, c, n, args.request_batch_size)
            print(f"concurrency {c:3d}: {n:4d} requests in {s['wall_time_s']:6.2f} s = {rates[c]:6.2f} requests/s "
                  f"({s['items_parsed']} items parsed, {s['kept_new']} kept; writer busy {s['writer_time_s']:.2f} s)")
        print(f"latency {args.latency * 1000:.0f} ms per reply: one request at a time can do at most {1 / args.latency:.2f} requests/s")
        print(f"speed-up at concurrency {args.concurrency}: {rates[args.concurrency] / rates[1]:.2f}x (target >= {0.875 * args.concurrency:.1f}x)")
    finally:
        server.stdin.close()
        server.wait(30)


def bench_teacher(args):
    from alpaca_nb.server import serve_in_thread
    from alpaca_nb.prompts import load_seed_tasks
    from alpaca_nb.self_instruct import make_job
    import openai
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    t = time.time()
    with serve_in_thread("default") as srv:
        print(f"embedded teacher {srv.model_name!r} loaded and served in {time.time() - t:.1f} s")
        client = openai.OpenAI(base_url=srv.base_url, api_key="unused", max_retries=0, timeout=3600)
        job = make_job(0, load_seed_tasks(), 3, args.teacher_batch, seed=0)
        def timed(prompts, max_tokens):
            t = time.time()
            r = client.completions.create(model=srv.model_name, prompt=prompts if len(prompts) > 1 else prompts[0],
                                          max_tokens=max_tokens, temperature=1.0, seed=0)
            return time.time() - t, r.usage
        timed(job.prompts[:1], 2)  # warm-up
        for prompts in (job.prompts[:1], job.prompts):
            t1, _ = timed(prompts, 1)
            tn, u = timed(prompts, args.teacher_tokens)
            decode = (u.completion_tokens - len(prompts)) / max(tn - t1, 1e-9)
            print(f"{len(prompts)} prompt(s) per request: {u.prompt_tokens} prompt tokens, {u.completion_tokens} completion tokens "
                  f"in {tn:.1f} s = {u.completion_tokens / tn:.2f} tokens/s overall; prompt processing {t1:.1f} s, "
                  f"then {decode:.2f} generated tokens/s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight for the concurrent run (default 8)")
    p.add_argument("--latency", type=float, default=0.2, help="seconds the proxy adds to every reply (default 0.2)")
    p.add_argument("--requests_per_slot", type=int, default=20, help="requests per unit of concurrency in each run (default 20)")
    p.add_argument("--request_batch_size", type=int, default=1, help="prompts per request (default 1; the original used 5)")
    p.add_argument("--teacher", action="store_true", help="also measure the embedded teacher's tokens/s (loads Gemma 3 270M)")
    p.add_argument("--teacher_tokens", type=int, default=64, help="tokens to generate per prompt in the teacher benchmark (default 64)")
    p.add_argument("--teacher_batch", type=int, default=5, help="prompts in the batched teacher request (default 5)")
    p.add_argument("--threads", type=int, default=0, help="torch threads for the teacher benchmark (default: torch's choice)")
    p.add_argument("--serve_toy", action="store_true", help=argparse.SUPPRESS)  # internal: the endpoint process
    args = p.parse_args()
    if args.serve_toy: return serve_toy(args.latency)
    bench_concurrency(args)
    if args.teacher: bench_teacher(args)


if __name__ == "__main__":
    main()
