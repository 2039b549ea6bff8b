"""The README's "What the default run gives" figures, written from a pipeline run's report.json.

No figure in that section is typed by hand: this script renders it from the `report.json` that
`alpaca_nb_pipeline` writes, into nbs/index.ipynb between two marker comments (README.md is
generated from index.ipynb), and checks in CI that the section still says what the committed
report says.

    python tools/readme_figures.py --write runs/demo/report.json   # copy it to docs/default_run/, write index.ipynb and README.md
    python tools/readme_figures.py --write run3/report.json --repeats run1/report.json run2/report.json
                                   # ... and a line on every run of the same command (kept in docs/default_run/repeats.json)
    python tools/readme_figures.py --check                         # CI: the section matches the report it cites

`--write` refuses a report in which some stage was skipped (a resumed run's stage times are not
the times of one run) unless `--allow-resumed` is given.
"""
import argparse, difflib, json, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPORT = "docs/default_run/report.json"      # the committed copy the README cites (relative to the repository)
HEADING = "## What the default run gives"
BEGIN = "<!-- readme-figures: begin, written from {path} by tools/readme_figures.py; do not edit by hand -->"
END = "<!-- readme-figures: end -->"
CLOSING = ("A 270M base model is a weak teacher, so the generated tasks are rough; what the run shows is the method working\n"
           "end to end, and the same command takes `--base_url` for a real teacher and `--nproc_per_node` for GPUs.")
STAGE_NAMES = {"1_generate": "generate", "2_filter": "filter", "3_chart": "chart", "4_build": "build",
               "5_train": "fine-tune", "6_eval": "evaluate"}


def _pct(x): return "–" if x is None else f"{x:.0%}"
def _minutes(x): return f"{round(x, 2):.1f}"  # from the value repeats.json keeps, so a run reads the same in both lines
def _num(x, f="{:.3f}"): return "–" if x is None or x != x else f.format(x)


REPEATS = "repeats.json"   # next to the cited report: one summary per run of the same command (the cited one included)


def summary(report: dict) -> dict:
    "What the README says of each repeated run: when, how long, stage by stage, and how many targets it met."
    h = report["headline"]
    return dict(started=report["started"], command=report["command"], total_minutes=round(h["total_minutes"], 2),
                stage_seconds={k: round(v, 1) for k, v in h["stage_seconds"].items()},
                targets_met=sum(x["met"] for x in h["targets"]), targets=len(h["targets"]),
                load_average_start=report["machine"].get("load_average_start"))


def render(report: dict, report_path: str, repeats: list | None = None) -> str:
    "The section's generated text (between the markers) for `report`, which lives at `report_path` in the repository."
    h, m, s = report["headline"], report["machine"], report["settings"]
    flags = ", ".join(m["cpu_flags"]) or "none"
    stages = ", ".join(f"{STAGE_NAMES.get(k, k)} {v:.0f} s" for k, v in h["stage_seconds"].items())
    day, clock = report["started"].rstrip("Z").split("T")
    plural = lambda n, word: f"{n:,} {word}" + ("" if n == 1 else "s")
    lines = [
        f"Measured with `{report['command']}` on {day} at {clock[:5]} UTC, on {m['usable_cores']} of "
        f"{m['cpu_count']} cores ({m['cpu_model']}; vector/matrix CPU flags: {flags}"
        f"{'' if any(f.startswith(('avx512', 'amx')) for f in m['cpu_flags']) else ', no AVX-512 or AMX'}), "
        f"{m['gpu'] or 'no GPU'}, torch {m['torch']} with {m['torch_threads']} threads, load average "
        f"{m['load_average_start']:.1f} at the start. From [`{report_path}`]({report_path}): "
        f"**{_minutes(h['total_minutes'])} minutes** in all ({stages}).",
        ""]
    g, t = h["generate"], h["train"]
    lines += [
        f"- **Generate**: the teacher `{g['teacher']}`"
        + (f" (served by our own server in {s['teacher_dtype']})" if not s.get("base_url") and s.get("teacher_dtype") else "")
        + f" answered {plural(g['requests'], 'request')} ({g['tokens']:,} tokens) with {plural(g['items_parsed'], 'task')}; "
        f"{g['kept_after_filter']} passed the paper's filters.",
        f"- **Fine-tune**: `{s['model_name_or_path']}` on {t['seeds']} seed tasks + {t['generated']} generated "
        f"({t['examples']} examples after removing any close to the held-out set), {t['epochs']} epochs ({t['steps']} steps of "
        f"{s['per_device_train_batch_size'] * s['gradient_accumulation_steps']}), "
        + ("bf16 autocast" if s["bf16"] else "fp32") + (", embeddings frozen" if s["freeze_embeddings"] else "")
        + (f", LoRA rank {s['lora_r']}" if s["lora_r"] else "")
        + f"; mean loss {_num(t['first_epoch_loss'], '{:.2f}')} in the first epoch, {_num(t['last_epoch_loss'], '{:.2f}')} "
        f"in the last; {_num(t['supervised_tokens_per_s'], '{:.0f}')} supervised tokens/s; peak memory "
        f"{_num((t['peak_rss_mb'] or float('nan')) / 1024, '{:.1f}')} GB.",
    ]
    ev = h["eval"]
    base, tuned = ev["base"], ev["tuned"]
    rp = base.get("repetition_penalty") or 1.0
    lines += [
        f"- **Evaluate** on the {base['n']} held-out tasks (greedy"
        + (f", repetition penalty {rp:g}" if rp != 1 else "") + f", at most {s['max_new_tokens']} new tokens):",
        "",
        "| | ended with EOS | repetition loops | ROUGE-L | mean words |",
        "|---|---|---|---|---|",
        f"| base `{s['model_name_or_path']}` | {_pct(base['ended_with_eos'])} | {_pct(base['repetition'])} | "
        f"{_num(base['rouge_l'])} | {_num(base['mean_words'], '{:.1f}')} |",
        f"| fine-tuned | **{_pct(tuned['ended_with_eos'])}** | **{_pct(tuned['repetition'])}** | "
        f"**{_num(tuned['rouge_l'])}** | {_num(tuned['mean_words'], '{:.1f}')} |",
        ""]
    if "tuned_raw" in ev:
        br, tr = ev["base_raw"], ev["tuned_raw"]
        lines += [f"With plain greedy decoding (no penalty) the fine-tuned model ends {_pct(tr['ended_with_eos'])} of its "
                  f"answers with EOS and loops on {_pct(tr['repetition'])} (base: {_pct(br['ended_with_eos'])} and "
                  f"{_pct(br['repetition'])}); ROUGE-L {_num(tr['rouge_l'])} vs {_num(br['rouge_l'])}.", ""]
    met = sum(x["met"] for x in h["targets"])
    lines += [f"Targets met: **{met} of {len(h['targets'])}**" + ("" if met == len(h["targets"]) else " (not all!)") + ": "
              + "; ".join(f"{x['target']}: {x['value']} ({'yes' if x['met'] else 'NO'})" for x in h["targets"]) + "."]
    if repeats:
        every = all(r["targets_met"] == r["targets"] for r in repeats)
        days = sorted({r["started"][:10] for r in repeats})
        lines += ["", f"The same command, each time from a fresh clone with an empty model cache, {len(repeats)} runs on "
                  f"{', '.join(days)} ([`{REPEATS}`]({str(Path(report_path).parent / REPEATS)})): "
                  + ", ".join(_minutes(r["total_minutes"]) for r in repeats) + " minutes; targets met "
                  + ("in every run" if every else "in " + ", ".join(f"{r['targets_met']} of {r['targets']}" for r in repeats)
                     + " (not in every run!)") + "."]
    return "\n".join(lines)


def block(report: dict, report_path: str, repeats: list | None = None) -> str:
    "The generated text with its markers."
    return BEGIN.format(path=report_path) + "\n" + render(report, report_path, repeats) + "\n" + END


def _section_cell(nb: dict):
    "The index of the markdown cell holding the section, and its text."
    for i, c in enumerate(nb["cells"]):
        text = "".join(c["source"])
        if c["cell_type"] == "markdown" and text.lstrip().startswith(HEADING): return i, text
    raise SystemExit(f"readme_figures: no markdown cell starting with {HEADING!r} in the notebook")


def _markers(text: str):
    "(start, end, report path) of the generated block in `text`, or None when there is none."
    head = BEGIN.split("{path}")[0]
    a = text.find(head)
    if a < 0: return None
    path_end = text.index(BEGIN.split("{path}")[1], a)
    b = text.index(END, a) + len(END)
    return a, b, text[a + len(head):path_end]


def _load(path: Path) -> dict:
    try: return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError: raise SystemExit(f"readme_figures: {path}: no such file") from None
    except json.JSONDecodeError as e: raise SystemExit(f"readme_figures: {path}:{e.lineno}: malformed JSON ({e.msg})") from None


def write(report_file: Path, nb_path: Path, readme: Path | None, dest: str, allow_resumed: bool,
          repeat_files: list | None = None) -> str:
    "Copy `report_file` to `dest` (in the repository), write the section into `nb_path` and, if given, `readme`."
    report = _load(report_file)
    others = [(f, _load(Path(f))) for f in repeat_files or []]
    for f, r in [(report_file, report), *others]:
        if not r.get("headline", {}).get("all_stages_ran") and not allow_resumed:
            raise SystemExit(f"readme_figures: {f}: some stages were skipped in this run (it resumed an earlier one), "
                             "so its stage times are not one run's; use a fresh --output_dir, or pass --allow-resumed")
        if r["command"] != report["command"]:
            raise SystemExit(f"readme_figures: {f} ran `{r['command']}`, not `{report['command']}`: repeats are of one command")
    target = ROOT / dest if not Path(dest).is_absolute() else Path(dest)
    if report_file.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report_file, target)
    repeats = sorted([summary(r) for _, r in others] + [summary(report)], key=lambda r: r["started"]) if others else None
    if repeats: (target.parent / REPEATS).write_text(json.dumps(repeats, indent=1) + "\n", encoding="utf-8")
    elif (target.parent / REPEATS).exists(): (target.parent / REPEATS).unlink()   # they were runs of another report
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    i, text = _section_cell(nb)
    new_block = block(report, dest, repeats)
    found = _markers(text)
    if found: text = text[:found[0]] + new_block + text[found[1]:]
    else: text = f"{HEADING}\n\n{new_block}\n\n{CLOSING}"   # the first time: the hand-written section is replaced
    lines = text.split("\n")
    nb["cells"][i]["source"] = [l + "\n" for l in lines[:-1]] + [lines[-1]]
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if readme is not None:
        sys.path.insert(0, str(ROOT / "tools"))
        from check_docs import readme_from_index
        readme.write_text(readme_from_index(nb_path), encoding="utf-8")
    return new_block


def check(nb_path: Path, readme: Path | None) -> list:
    "Problems with the section: figures that differ from the report it cites, or a committed report it does not cite."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    _, text = _section_cell(nb)
    found = _markers(text)
    if not found:
        if (ROOT / DEFAULT_REPORT).exists():
            return [f"{DEFAULT_REPORT} is committed but {nb_path.name}'s section is not written from it: "
                    f"run `python tools/readme_figures.py --write {DEFAULT_REPORT}`"]
        print(f"readme_figures: {nb_path.name}'s section has no generated figures yet (no {DEFAULT_REPORT} committed); nothing to check")
        return []
    a, b, path = found
    cited = ROOT / path if not Path(path).is_absolute() else Path(path)
    repeats = json.loads((cited.parent / REPEATS).read_text(encoding="utf-8")) if (cited.parent / REPEATS).exists() else None
    expected = block(_load(cited), path, repeats)
    problems = []
    if text[a:b] != expected:
        diff = "\n".join(difflib.unified_diff(text[a:b].splitlines(), expected.splitlines(), "in the notebook", f"from {path}", lineterm=""))
        problems.append(f"{nb_path.name}: the figures differ from {path}; run `python tools/readme_figures.py --write {path}`\n{diff}")
    if readme is not None and expected not in readme.read_text(encoding="utf-8"):
        problems.append(f"{readme.name} does not hold the figures of {path}: run `python tools/check_docs.py --write-readme`")
    if not problems: print(f"readme_figures: the README's figures are those of {path}")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", metavar="REPORT_JSON", help="a pipeline run's report.json to write the figures from")
    g.add_argument("--check", action="store_true", help="check that the figures are those of the report they cite")
    ap.add_argument("--dest", default=DEFAULT_REPORT, help=f"where the cited copy of the report lives (default {DEFAULT_REPORT})")
    ap.add_argument("--notebook", default=str(ROOT / "nbs" / "index.ipynb"), help="the notebook holding the section")
    ap.add_argument("--readme", default=str(ROOT / "README.md"), help="README to write/check ('' for none)")
    ap.add_argument("--allow-resumed", action="store_true", help="accept a report in which some stages were skipped")
    ap.add_argument("--repeats", nargs="*", default=[], metavar="REPORT_JSON",
                    help="with --write: other runs of the same command, summarised with it in one line")
    a = ap.parse_args(argv)
    nb_path, readme = Path(a.notebook), Path(a.readme) if a.readme else None
    if a.write:
        print(write(Path(a.write), nb_path, readme, a.dest, a.allow_resumed, a.repeats))
        print(f"readme_figures: wrote {nb_path}" + (f" and {readme}" if readme else "") + f", citing {a.dest}")
        return 0
    problems = check(nb_path, readme)
    for p in problems: print(f"readme_figures: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
