"""Docs check without Quarto: process the notebooks as `nbdev_docs` would (nbdev's own
processors: show_doc, directives, frontmatter), render each to HTML with nbconvert, and
check that README.md is the rendering of nbs/index.ipynb.

    python tools/check_docs.py                 # check (CI)
    python tools/check_docs.py --write-readme  # regenerate README.md from nbs/index.ipynb
"""
import argparse, json, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_from_index(nb_path: Path) -> str:
    "Markdown from index.ipynb: markdown cells as they are, visible code cells and their text outputs fenced."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = ["<!-- Generated from nbs/index.ipynb by tools/check_docs.py --write-readme; edit the notebook, not this file. -->\n"]
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            out.append(src.strip() + "\n")
        elif cell["cell_type"] == "code":
            if src.lstrip().startswith("#| hide") or not src.strip(): continue
            out.append("```python\n" + src.strip() + "\n```\n")
            texts = ["".join(o.get("text", "")) or "".join(o.get("data", {}).get("text/plain", ""))
                     for o in cell.get("outputs", [])]
            texts = [t for t in texts if t.strip()]
            if texts: out.append("```\n" + "".join(texts).rstrip() + "\n```\n")
    return "\n".join(out)


def process_notebooks(src: Path, dst: Path) -> list:
    """nbdev's docs processors (frontmatter, directives, show_doc, hidden cells, links...) on every notebook.
    One processor is left out: `exec_show_docs`, which re-runs every cell holding an import; the saved outputs
    (notebooks are committed executed) are what the pages show. Notebooks still mixing imports into example
    cells would make `nbdev_docs` re-run those cells (slow cells included) -- keep imports in import cells."""
    from execnb.nbio import read_nb, write_nb
    from nbdev.process import NBProcessor
    from nbdev.processors import FilterDefaults
    dst.mkdir(parents=True, exist_ok=True)
    procs = [p for p in FilterDefaults().procs() if p.__name__ != "exec_show_docs"]
    errors = []
    for nb_file in sorted(src.glob("*.ipynb")):
        try:
            nb = read_nb(nb_file)
            NBProcessor(nb=nb, procs=procs).process()
            write_nb(nb, dst / nb_file.name)
        except Exception as e:
            errors.append(f"{nb_file.name}: nbdev processing failed: {type(e).__name__}: {e}")
    return errors


def render_html(proc_dir: Path, html_dir: Path) -> list:
    import os
    # nbconvert looks for its HTML templates under sys.prefix; inside a virtualenv built on a system
    # Python they live under the base prefix, so add that too
    base = os.path.join(sys.base_prefix, "share", "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [os.environ.get("JUPYTER_PATH"), base]))
    import nbformat
    from nbconvert import HTMLExporter
    errors = []
    exporter = HTMLExporter()
    html_dir.mkdir(parents=True, exist_ok=True)
    for nb_file in sorted(proc_dir.glob("*.ipynb")):
        try:
            nb = nbformat.read(nb_file, as_version=4)
            body, _ = exporter.from_notebook_node(nb)
            if "Traceback (most recent call last)" in body: errors.append(f"{nb_file.name}: a saved output holds a traceback")
            (html_dir / (nb_file.stem + ".html")).write_text(body, encoding="utf-8")
            print(f"docs: {nb_file.name} -> {len(body)//1024} KiB of HTML")
        except Exception as e:  # report every notebook, then fail
            errors.append(f"{nb_file.name}: {type(e).__name__}: {e}")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-readme", action="store_true", help="write README.md from nbs/index.ipynb and exit")
    args = ap.parse_args()
    readme = readme_from_index(ROOT / "nbs" / "index.ipynb")
    if args.write_readme:
        (ROOT / "README.md").write_text(readme, encoding="utf-8"); print("README.md written"); return 0
    errors = []
    if (ROOT / "README.md").read_text(encoding="utf-8") != readme:
        errors.append("README.md is not the rendering of nbs/index.ipynb: run `python tools/check_docs.py --write-readme`")
    for nb_file in sorted((ROOT / "nbs").glob("*.ipynb")):
        md = [c for c in json.loads(nb_file.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]
        if not md or not "".join(md[0]["source"]).lstrip().startswith("# "):
            errors.append(f"{nb_file.name}: the first markdown cell must be the title ('# Title' then '> summary')")
    proc = ROOT / "_proc"
    shutil.rmtree(proc, ignore_errors=True)
    errors += process_notebooks(ROOT / "nbs", proc)
    errors += render_html(proc, proc / "_html")
    for e in errors: print("docs error:", e)
    print(f"docs: {len(list(proc.glob('*.ipynb')))} notebooks processed and rendered, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
