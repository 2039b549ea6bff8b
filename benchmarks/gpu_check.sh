#!/usr/bin/env bash
# GPU check of alpaca_nb: the CUDA paths that machines without a GPU never run, in one script (<= 8 min on one GPU).
#
#   bash benchmarks/gpu_check.sh [WORKDIR]      # from a fresh clone; WORKDIR default: a new temp dir
#
# It sets itself up (tools/setup.sh: a GPU user's torch is kept), then, on every GPU of the machine:
#   1. trains Gemma 3 270M under torchrun with the original's flags (--bf16 True --tf32 True
#      --fsdp "full_shard auto_wrap": NCCL, FSDP2's bf16 MixedPrecisionPolicy, TF32), 2 epochs of 64 examples;
#   2. trains it again, SIGKILLs every rank after the first checkpoint, resumes with
#      --resume_from_checkpoint latest and compares the losses with the uninterrupted run;
#   3. a short run with --fsdp "full_shard auto_wrap offload" (FSDP's CPU offload);
#   4. reloads the saved model with from_pretrained on the GPU and generates;
#   5. runs alpaca_nb_eval's batched generation on the GPU (16 eval items);
#   6. starts alpaca_nb_serve --model DIR on the GPU and sends one /v1/completions request with curl;
# and prints one table: step time, tokens/s, peak CUDA memory, losses, PASS/FAIL per check.
# Exit status: 0 when every check passes (or when there is no GPU: it says so in one line), 1 otherwise.
# GPU_CHECK_DRY_RUN=1 runs the same steps on the CPU with the tiny test LLaMA: a check of this script itself.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
DRY="${GPU_CHECK_DRY_RUN:-}"
MODEL=default; DEV=cuda; [ -n "$DRY" ] && { MODEL=tiny; DEV=cpu; }

if [ -n "$DRY" ]; then echo "gpu_check: dry run on the CPU with the tiny LLaMA (GPU_CHECK_DRY_RUN)"
elif ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_check: no NVIDIA GPU on this machine (nvidia-smi missing or failing): nothing to check"; exit 0
fi
if "$PY" -c "import torch" >/dev/null 2>&1 && ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: this torch ($("$PY" -c 'import torch; print(torch.__version__)')) cannot use the GPU (torch.cuda.is_available() is False): nothing to check"; exit 0
fi

T0=$(date +%s)
bash tools/setup.sh >/tmp/gpu_check_setup.log 2>&1 || { echo "gpu_check: tools/setup.sh failed, see /tmp/gpu_check_setup.log"; exit 1; }
[ -n "$DRY" ] || "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || {
  echo "gpu_check: torch.cuda.is_available() is False after set-up: nothing to check"; exit 0; }
NGPU=$("$PY" -c "import torch; print(torch.cuda.device_count() or 2)")
WORK="${1:-$(mktemp -d /tmp/gpu_check.XXXXXX)}"; mkdir -p "$WORK"
LOG="$WORK/log"; mkdir -p "$LOG"; : > "$WORK/checks.tsv"
check() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$WORK/checks.tsv"; echo "[gpu_check] $1: $2 $3"; }
echo "[gpu_check] $NGPU GPU(s): $( [ -n "$DRY" ] && echo "none, dry run" || nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1); work dir $WORK"

# data: 64 training examples, 16 held-out (our seed tasks); the Gemma checkpoint converted once
"$PY" - "$WORK" "$MODEL" <<'EOF' || { echo "gpu_check: could not prepare the data or the model"; exit 1; }
import sys
from pathlib import Path
from alpaca_nb.prompts import read_records, data_path, write_json_atomic
w = Path(sys.argv[1]); recs = read_records(data_path("seed_tasks.jsonl"))
write_json_atomic(w/"train.json", recs[:64]); write_json_atomic(w/"eval.json", recs[64:80])
from alpaca_nb.models import resolve_model; resolve_model(sys.argv[2])
EOF

# the global batch stays 8 for any number of GPUs where it divides (per device 4 x accumulation)
PER=4; ACC=$(( 8 / (PER * NGPU) )); [ "$ACC" -lt 1 ] && ACC=1
TRAIN=(-m torch.distributed.run --standalone --nproc_per_node="$NGPU" -m alpaca_nb.train
       --model_name_or_path "$MODEL" --data_path "$WORK/train.json" --eval_data_path "$WORK/eval.json"
       --bf16 True --tf32 True --fsdp "full_shard auto_wrap" --num_train_epochs 2
       --per_device_train_batch_size $PER --per_device_eval_batch_size $PER --gradient_accumulation_steps $ACC
       --learning_rate 2e-5 --weight_decay 0. --warmup_ratio 0.03 --lr_scheduler_type cosine --logging_steps 1
       --save_strategy steps --save_steps 4 --save_total_limit 1 --disable_tqdm True)

# 1. the original's flags, uninterrupted
timeout 240 "$PY" "${TRAIN[@]}" --output_dir "$WORK/full" >"$LOG/full.txt" 2>&1
rc=$?; [ $rc -eq 0 ] && [ -f "$WORK/full/model.safetensors" ] && check train PASS "rc 0" || check train FAIL "rc $rc (see $LOG/full.txt)"

# 2. every rank SIGKILLs itself right after checkpoint-4 is written (as when a node dies), then the run resumes
cat > "$WORK/die_after_checkpoint_4.py" <<'EOF'
import os, signal
import alpaca_nb.train as T
save = T.save_checkpoint
def save_then_die(path, *args, **kwargs):
    save(path, *args, **kwargs)
    if path.name == "checkpoint-4": os.kill(os.getpid(), signal.SIGKILL)
T.save_checkpoint = save_then_die
T.alpaca_nb_train()
EOF
KILLED=("${TRAIN[@]}"); KILLED[4]="$WORK/die_after_checkpoint_4.py"   # the driver in place of "-m alpaca_nb.train"
unset 'KILLED[5]'
timeout 240 "$PY" "${KILLED[@]}" --output_dir "$WORK/killed" >"$LOG/killed.txt" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ -f "$WORK/killed/checkpoint-4/trainer_state.json" ] && [ ! -f "$WORK/killed/model.safetensors" ]; then
  timeout 240 "$PY" "${TRAIN[@]}" --output_dir "$WORK/killed" --resume_from_checkpoint latest >"$LOG/resumed.txt" 2>&1
  rc=$?; [ $rc -eq 0 ] && grep -q "resumed from" "$LOG/resumed.txt" && check kill_resume PASS "killed after checkpoint-4, resumed, rc 0" \
    || check kill_resume FAIL "resume: rc $rc (see $LOG/resumed.txt)"
else check kill_resume FAIL "the killed run: rc $rc, no checkpoint-4 or a final model (see $LOG/killed.txt)"; fi

# 3. FSDP CPU offload, a few steps
timeout 180 "$PY" "${TRAIN[@]/full_shard auto_wrap/full_shard auto_wrap offload}" --max_steps 3 --save_strategy no \
  --output_dir "$WORK/offload" >"$LOG/offload.txt" 2>&1
rc=$?; [ $rc -eq 0 ] && check offload PASS "rc 0" || check offload FAIL "rc $rc (see $LOG/offload.txt)"

# 4. the saved model reloads on the GPU and generates
timeout 120 "$PY" - "$WORK/full" "$DEV" >"$LOG/reload.txt" 2>&1 <<'EOF'
import sys, time, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from alpaca_nb.prompts import format_prompt
d, dev = sys.argv[1], sys.argv[2]
m = AutoModelForCausalLM.from_pretrained(d, dtype=torch.bfloat16).to(dev).eval(); tok = AutoTokenizer.from_pretrained(d)
x = tok(format_prompt("Give three tips for staying healthy."), return_tensors="pt").to(dev)
t = time.perf_counter()
out = m.generate(**x, max_new_tokens=48, do_sample=False, pad_token_id=tok.pad_token_id)
secs = time.perf_counter() - t
new = out.shape[1] - x["input_ids"].shape[1]
assert new > 0, "nothing generated"
print(f"RELOAD {new} tokens in {secs:.2f} s: {tok.decode(out[0, x['input_ids'].shape[1]:], skip_special_tokens=True)[:80]!r}")
EOF
rc=$?; line=$(grep -o 'RELOAD .*' "$LOG/reload.txt" | head -1)
[ $rc -eq 0 ] && [ -n "$line" ] && check reload_generate PASS "${line#RELOAD }" || check reload_generate FAIL "rc $rc (see $LOG/reload.txt)"

# 5. eval generation on the GPU
timeout 180 "$PY" -m alpaca_nb.eval --model "$WORK/full" --output_dir "$WORK/eval" --limit 16 --max_new_tokens 64 \
  --dtype bfloat16 --quiet >"$LOG/eval.txt" 2>&1
rc=$?; n=$("$PY" -c "import json, glob, sys; f = glob.glob(sys.argv[1] + '/**/model_outputs.json', recursive=True); print(len(json.load(open(f[0]))) if f else 0)" "$WORK/eval" 2>/dev/null)
[ $rc -eq 0 ] && [ "${n:-0}" -eq 16 ] && check eval_generate PASS "16 answers" || check eval_generate FAIL "rc $rc, ${n:-0} answers (see $LOG/eval.txt)"

# 6. the server on the GPU, one request
alpaca_nb_serve --model "$WORK/full" --port 0 --dtype bfloat16 >"$LOG/serve.txt" 2>&1 &
SRV=$!
url=""
for _ in $(seq 1 900); do
  url=$(grep -o 'http://[^ ]*' "$LOG/serve.txt" | head -1); [ -n "$url" ] && break
  kill -0 $SRV 2>/dev/null || break; sleep 0.1
done
if [ -n "$url" ]; then
  reply=$(curl -s -m 60 "${url%/}/completions" -H 'Content-Type: application/json' \
    -d '{"model": "full", "prompt": "Name a primary color:", "max_tokens": 16, "temperature": 0}')
  text=$(printf '%s' "$reply" | "$PY" -c "import json, sys; print(json.load(sys.stdin)['choices'][0]['text'][:60]!r)" 2>/dev/null)
  [ -n "$text" ] && check server PASS "$text" || check server FAIL "bad reply: ${reply:0:200}"
else check server FAIL "no ready line (see $LOG/serve.txt)"; fi
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null

# the table
"$PY" - "$WORK" "$NGPU" "$(( $(date +%s) - T0 ))" <<'EOF'
import json, sys
from pathlib import Path
w, ngpu, secs = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
def res(name):
    p = w/name/"train_results.json"
    return json.loads(p.read_text()) if p.exists() else {}
def losses(name):
    p = w/name/"metrics.jsonl"
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()] if p.exists() else []
checks = [l.split("\t") for l in (w/"checks.tsv").read_text().splitlines()]
full, killed = losses("full"), losses("killed")
lf, lk = [r["loss"] for r in full if "loss" in r], [r["loss"] for r in killed if "loss" in r]
if lf and lk:
    gap = max(abs(a - b) for a, b in zip(lf, lk)) if len(lf) == len(lk) else float("inf")
    checks.append(["resume_losses", "PASS" if gap < 0.02 else "FAIL",
                   f"{len(lk)} of {len(lf)} steps logged, largest loss gap {gap:.4f} (GPU kernels are not bit-deterministic)"])
print(f"\nalpaca_nb GPU check: {ngpu} GPU(s), {secs} s in all")
print(f"{'run':10} {'steps':>5} {'step s':>7} {'sup. tok/s':>10} {'peak CUDA MB':>12} {'loss first→last':>17} {'eval loss':>9}")
for name in ("full", "killed", "offload"):
    r, ls = res(name), [x["loss"] for x in losses(name) if "loss" in x]
    if not r: print(f"{name:10} (no results)"); continue
    step = r["train_seconds"] / max(1, r["steps_this_run"])
    ev = f"{r['eval_loss']:9.4f}" if r.get("eval_loss") is not None else f"{'-':>9}"
    print(f"{name:10} {r['global_step']:5d} {step:7.3f} {r['tokens_per_s'] or 0:10.0f} {r.get('peak_cuda_mb', 0):12.0f} "
          f"{ls[0]:8.3f}→{ls[-1]:<7.3f} {ev}")
print(f"\n{'check':16} {'result':6} detail")
for name, ok, detail in checks: print(f"{name:16} {ok:6} {detail}")
bad = [c for c in checks if c[1] != "PASS"]
print(f"\n{len(checks) - len(bad)} of {len(checks)} checks pass")
sys.exit(1 if bad else 0)
EOF
