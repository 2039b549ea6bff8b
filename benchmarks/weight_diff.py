"""Peak memory of `alpaca_nb_weight_diff` (make and recover, both formats) against the model's size.

Builds a random LLaMA without a pad token ("raw") and a fine-tuned stand-in for it ("tuned": `[PAD]`
added, embeddings one row longer, other random weights), each saved in several safetensors shards, then
runs `make` and `recover` of each format as a child process and prints the child's peak resident
memory (ru_maxrss from os.wait4) as a ratio of the model's bytes. A child that only imports what the
script needs gives the runtime's own baseline. With --original, the original's method (both models
loaded whole with from_pretrained, added, saved) is measured the same way, for comparison.

The weights are random and the tokenizer is the tiny test LLaMA's (smaller than the embedding): the
tool never cross-checks the two, and only sizes matter here. Needs about 4x the model's size on disk.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path


def build(d: Path, vocab: int, hidden: int, inter: int, layers: int, heads: int, shard_mb: int):
    "Write raw/ and tuned/ checkpoints of random weights, shard by shard; returns the tuned model's bytes."
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    from alpaca_nb.models import tiny_llama
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=heads, tie_word_embeddings=False,
                      bos_token_id=1, eos_token_id=2, pad_token_id=None)
    with torch.device("meta"): shapes = {k: tuple(v.shape) for k, v in LlamaForCausalLM(cfg).state_dict().items()}
    tok_dir = tiny_llama()
    g = torch.Generator().manual_seed(0)
    total = {}
    for name, grow in (("raw", 0), ("tuned", 1)):
        out = d/name; out.mkdir()
        c = cfg.to_dict(); c["vocab_size"] = vocab + grow; c["dtype"] = "float32"
        (out/"config.json").write_text(json.dumps(c, indent=2))
        tok = AutoTokenizer.from_pretrained(tok_dir)
        if grow: tok.add_special_tokens({"pad_token": "[PAD]"})
        tok.save_pretrained(out)
        shards, buf, size, wmap = [], {}, 0, {}
        def flush():
            nonlocal buf, size
            if not buf: return
            f = f"model-{len(shards)+1:05d}.safetensors"
            save_file(buf, out/f, metadata={"format": "pt"}); shards.append(f); wmap.update({k: f for k in buf})
            buf, size = {}, 0
        nbytes = 0
        for k, shape in shapes.items():
            if k.endswith("embed_tokens.weight") or k == "lm_head.weight": shape = (vocab + grow, *shape[1:])
            t = torch.randn(shape, generator=g) * 0.02 if len(shape) > 1 else 1 + 0.01 * torch.randn(shape, generator=g)
            nb = t.numel() * 4
            if buf and size + nb > shard_mb * 2**20: flush()
            buf[k] = t; size += nb; nbytes += nb
        flush()
        n = len(shards)
        names = {f: f"model-{i+1:05d}-of-{n:05d}.safetensors" for i, f in enumerate(shards)}
        for f, new in names.items(): (out/f).rename(out/new)
        (out/"model.safetensors.index.json").write_text(json.dumps(
            {"metadata": {"total_size": nbytes}, "weight_map": {k: names[f] for k, f in sorted(wmap.items())}}))
        total[name] = (nbytes, n)
    return total


ORIGINAL = r"""
import sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
raw_dir, diff_dir, out = sys.argv[1:4]
raw = AutoModelForCausalLM.from_pretrained(raw_dir, dtype=torch.float32)
rec = AutoModelForCausalLM.from_pretrained(diff_dir, dtype=torch.float32)
tok = AutoTokenizer.from_pretrained(raw_dir)
if tok.pad_token is None:
    tok.add_special_tokens({"pad_token": "[PAD]"})
    raw.resize_token_embeddings(raw.config.vocab_size + 1, mean_resizing=False)   # the bench's tokenizer is smaller than the embedding
    with torch.no_grad():
        for e in (raw.get_input_embeddings().weight, raw.get_output_embeddings().weight): e[-1] = e[:-1].mean(0)
sd_raw = raw.state_dict()
with torch.no_grad():
    for k, v in rec.state_dict().items(): v.add_(sd_raw[k])
rec.save_pretrained(out)
"""

BASELINES = {   # what each format's run imports and builds before it touches a weight
    "xor": "import torch, safetensors, alpaca_nb.weight_diff",
    "alpaca": "import sys; from pathlib import Path; from alpaca_nb.weight_diff import _layout, _has_pad_token; "
              "_layout(Path(sys.argv[1])); _has_pad_token(Path(sys.argv[1]))"}


def peak_rss(cmd: list) -> tuple:
    "Run `cmd` as a child; (exit status, its peak RSS in bytes, wall seconds, stderr tail)."
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, ru.ru_maxrss * 1024, time.perf_counter() - t, err.decode(errors="replace").strip()[-300:]


def main():
    assert "torch" not in sys.modules
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", type=int, default=32000, help="embedding rows of the base (LLaMA: 32000)")
    ap.add_argument("--hidden", type=int, default=2048, help="model width")
    ap.add_argument("--intermediate", type=int, default=5504, help="MLP width")
    ap.add_argument("--layers", type=int, default=6, help="decoder layers")
    ap.add_argument("--heads", type=int, default=16, help="attention heads")
    ap.add_argument("--shard_mb", type=int, default=300, help="shard size of the checkpoints built")
    ap.add_argument("--original", action=argparse.BooleanOptionalAction, default=True,
                    help="also measure the original's method (both models whole in memory)")
    ap.add_argument("--work", default=None, help="folder for the checkpoints (default: a temp folder, removed afterwards)")
    ap.add_argument("--build_only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.build_only:   # run as a child: the measuring parent must never load torch, since a child's
        # ru_maxrss starts from the parent's resident size at fork (Linux keeps the high-water mark across exec)
        print(json.dumps(build(Path(a.work), a.vocab, a.hidden, a.intermediate, a.layers, a.heads, a.shard_mb))); return
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="weight_diff_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        args = [f"--{k}={getattr(a, k)}" for k in ("vocab", "hidden", "intermediate", "layers", "heads", "shard_mb")]
        built = subprocess.run([sys.executable, __file__, "--build_only", f"--work={work}", *args], capture_output=True, text=True)
        if built.returncode: sys.exit(f"building the checkpoints failed: {built.stderr.strip()[-500:]}")
        sizes = json.loads(built.stdout.strip().splitlines()[-1])
        model_bytes, n_shards = sizes["tuned"]
        print(f"model: {model_bytes/4/1e6:.1f}M parameters, {model_bytes/2**30:.2f} GiB in fp32, {n_shards} shards "
              f"(built in {time.perf_counter()-t:.0f} s)")
        base = {}
        for fmt, code in BASELINES.items():
            rc, base[fmt], _, err = peak_rss([sys.executable, "-c", code, str(work/"raw")])
            assert rc == 0, err
        print(f"runtime baselines, nothing loaded: {base['xor']/2**30:.2f} GiB (xor: python + torch), "
              f"{base['alpaca']/2**30:.2f} GiB (alpaca: + transformers, the model class, the tokenizer)\n")
        W = "alpaca_nb_weight_diff"
        runs = [("make --format xor", "xor", [W, "make", "--base", work/"raw", "--tuned", work/"tuned", "--out", work/"xor"]),
                ("recover (xor)", "xor", [W, "recover", "--base", work/"raw", "--diff", work/"xor", "--out", work/"xor_back"]),
                ("make_diff --format alpaca", "alpaca", [W, "make_diff", "--path_raw", work/"raw", "--path_tuned", work/"tuned",
                                               "--path_diff", work/"alpaca", "--format", "alpaca"]),
                ("recover (alpaca)", "alpaca", [W, "recover", "--path_raw", work/"raw", "--path_diff", work/"alpaca",
                                      "--path_tuned", work/"alpaca_back"])]
        if a.original:
            runs.append(("original's method (recover)", "alpaca", [sys.executable, "-c", ORIGINAL, work/"raw", work/"alpaca", work/"original_back"]))
        print(f"{'step':30} {'peak RSS':>10} {'peak/model':>11} {'(peak-baseline)/model':>22} {'wall':>7}")
        for name, fmt, cmd in runs:
            rc, rss, wall, err = peak_rss([str(c) for c in cmd])
            if rc != 0: print(f"{name:30} failed (exit {rc}): {err}"); continue
            print(f"{name:30} {rss/2**30:8.2f} GiB {rss/model_bytes:10.2f}x {(rss-base[fmt])/model_bytes:21.2f}x {wall:6.1f}s", flush=True)
            for done in ("xor_back", "alpaca_back", "original_back"):     # free the disk as we go
                if done in " ".join(map(str, cmd)) and (work/done).exists(): shutil.rmtree(work/done)
        print(f"\nparent's own peak RSS (bounds what a child can report): {__import__('resource').getrusage(0).ru_maxrss/2**20:.2f} GiB")
    finally:
        if not a.work: shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
