"""Benchmark: parse + plot 52K instructions with `alpaca_nb.diversity` (target: <= 3 minutes on 2 cores).

Without `--data`, makes synthetic instructions from varied templates (imperatives, questions,
"Given ..." preambles, multi-sentence prompts) with a skewed verb/noun mix like real instruction
data. With `--data PATH`, reads Alpaca JSON/JSONL or seed_tasks JSONL instead.
Prints instructions/s for 1 and N worker processes and their ratio, measured in one run.
"""
import os, sys
from pathlib import Path
# Python puts this script's folder first on sys.path, where a sibling file (e.g. benchmarks/tokenize.py)
# would shadow a standard-library module that pandas and spaCy import; drop that entry.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import argparse, random, tempfile, time

VERB_NOUNS = {  # verb: nouns it plausibly takes, most common first
    "write": ["story", "poem", "letter", "email", "essay", "function", "review", "song", "description", "speech"],
    "generate": ["list", "title", "question", "name", "slogan", "headline", "idea", "example"],
    "create": ["list", "plan", "recipe", "story", "poem", "quiz", "budget", "schedule"],
    "describe": ["process", "situation", "character", "place", "feeling", "experience", "difference"],
    "give": ["example", "list", "tip", "reason", "definition", "summary", "advice"],
    "explain": ["concept", "difference", "process", "meaning", "term", "theory", "rule"],
    "identify": ["type", "word", "theme", "error", "cause", "topic", "tone"],
    "rewrite": ["sentence", "paragraph", "text", "story", "message", "passage"],
    "find": ["number", "word", "error", "answer", "area", "value", "synonym"],
    "make": ["list", "plan", "sentence", "prediction", "decision", "playlist"],
    "suggest": ["name", "way", "idea", "title", "activity", "gift", "improvement"],
    "design": ["logo", "game", "experiment", "website", "poster", "app"],
    "provide": ["example", "list", "summary", "explanation", "overview"],
    "summarize": ["article", "text", "story", "paragraph", "report", "plot"],
    "classify": ["sentence", "animal", "text", "review", "item", "email"],
    "translate": ["sentence", "phrase", "text", "word", "paragraph"],
    "compose": ["poem", "song", "melody", "tweet", "haiku", "email"],
    "edit": ["sentence", "paragraph", "text", "essay"],
    "construct": ["sentence", "argument", "query", "table"],
    "analyze": ["text", "poem", "data", "situation", "argument"],
    "compare": ["product", "book", "city", "approach", "method"],
    "calculate": ["area", "total", "cost", "average", "probability"],
    "develop": ["plan", "strategy", "app", "algorithm", "slogan"],
    "list": ["benefit", "way", "example", "step", "reason", "country", "food"],
    "name": ["country", "animal", "book", "movie", "planet", "type"],
    "outline": ["plan", "step", "essay", "strategy"],
    "recommend": ["book", "movie", "restaurant", "product", "song"],
    "propose": ["solution", "idea", "plan", "name"],
    "brainstorm": ["idea", "name", "way", "topic"],
    "convert": ["sentence", "number", "text", "temperature", "date"],
    "sort": ["list", "number", "word", "item"],
    "evaluate": ["argument", "essay", "statement", "plan"],
    "answer": ["question", "riddle", "query"],
    "tell": ["story", "joke", "fact"],
    "paraphrase": ["sentence", "statement", "quote"],
    "predict": ["outcome", "price", "weather", "result"],
    "categorize": ["item", "word", "animal", "expense"],
    "detect": ["error", "language", "sentiment", "bias"],
    "formulate": ["hypothesis", "question", "plan"],
    "build": ["model", "website", "tower", "table"],
}
IRREGULAR = {"story": "stories", "city": "cities", "activity": "activities", "summary": "summaries",
             "strategy": "strategies", "theory": "theories", "query": "queries", "probability": "probabilities",
             "process": "processes", "quiz": "quizzes", "riddle": "riddles", "melody": "melodies", "data": "data",
             "analysis": "analyses", "country": "countries", "body": "bodies", "playlist": "playlists"}
ADJ = ["short", "creative", "detailed", "simple", "funny", "formal", "catchy", "clear", "brief", "new", "good", "healthy"]
TOPIC = ["climate change", "the ocean", "friendship", "space travel", "a small town", "healthy eating", "artificial intelligence",
         "the history of Rome", "renewable energy", "a rainy day", "social media", "a job interview", "the water cycle", "coffee"]
AUDIENCE = ["a ten-year-old", "a beginner", "my grandmother", "a busy parent", "high school students", "a new employee"]
CONTEXT = ["given text", "following paragraph", "input", "passage below", "sentence", "list"]
WH = ["What is the best way to", "How can I", "Why do people", "When should I", "How do you"]
QUESTIONS = ["What is the capital of {t}?", "Why is {t} important?", "Who invented {t}?", "Is {t} good for children?",
             "What are the main causes of {t}?", "How does {t} work?", "Which is better, tea or coffee?", "Can you believe it?"]

def cpu_seconds():
    "CPU time of this process and its finished children (the parser workers), in seconds."
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system

def plural(noun): return IRREGULAR.get(noun, noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s"))
def article(word): return "an" if word[0] in "aeiou" else "a"

def synthetic_instructions(n:int, seed:int=0)->list:
    "n varied instructions with a skewed verb mix (about 1/x) and a skewed noun mix per verb."
    rng = random.Random(seed)
    verbs = list(VERB_NOUNS)
    vw = [1 / (i + 1) ** 0.9 for i in range(len(verbs))]
    out = []
    for _ in range(n):
        v = rng.choices(verbs, vw)[0]
        nouns = VERB_NOUNS[v]
        noun = rng.choices(nouns, [1 / (i + 1) for i in range(len(nouns))])[0]
        adj, topic, aud, ctx = rng.choice(ADJ), rng.choice(TOPIC), rng.choice(AUDIENCE), rng.choice(CONTEXT)
        k, V = rng.randint(3, 10), v.capitalize()
        form = rng.random()
        if form < 0.30: s = f"{V} {article(adj)} {adj} {noun} about {topic}."
        elif form < 0.45: s = f"{V} {k} {plural(noun)} for {aud}."
        elif form < 0.55: s = f"{V} the {noun} in the {ctx}."
        elif form < 0.63: s = f"Given the {ctx}, {v} the {noun} and explain your reasoning."
        elif form < 0.70: s = f"{V} {article(adj)} {adj} {noun} about {topic}. Keep it under {k * 10} words."
        elif form < 0.76: s = f"Please {v} {article(noun)} {noun} that {aud} would understand."
        elif form < 0.82: s = f"{rng.choice(WH)} {v} {article(noun)} {noun} about {topic}?"
        elif form < 0.92: s = rng.choice(QUESTIONS).format(t=topic)
        elif form < 0.96: s = f"Imagine you are {aud}. {V} {article(noun)} {noun} about {topic}."
        else: s = f"{V} whether the {ctx} mentions {topic}."
        out.append(s)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=52_000, help="number of synthetic instructions (ignored with --data)")
    p.add_argument("--data", help="Alpaca JSON/JSONL or seed_tasks JSONL to use instead of synthetic instructions")
    p.add_argument("--n_process", type=int, default=2, help="worker processes for the parallel run")
    p.add_argument("--batch_size", type=int, default=256, help="texts per nlp.pipe batch")
    p.add_argument("--serial", action="store_true", help="also time one process on the same data (doubles the run time)")
    p.add_argument("--out", help="where to write the PNG (default: a temporary directory)")
    a = p.parse_args()
    from alpaca_nb.diversity import load_parser, verb_noun_table, plot_verb_noun, diversity_summary, format_summary, save_figure
    if a.data:
        from alpaca_nb.prompts import read_records
        texts = [r["instruction"] for r in read_records(a.data)]
    else: texts = synthetic_instructions(a.n)
    print(f"{len(texts)} instructions ({'from ' + a.data if a.data else 'synthetic'}), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start (the CPU may be shared)")
    t = time.perf_counter(); load_parser(); t_load = time.perf_counter() - t
    t, c = time.perf_counter(), cpu_seconds()
    table = verb_noun_table(texts, n_process=a.n_process, batch_size=a.batch_size)
    t_par, c_par = time.perf_counter() - t, cpu_seconds() - c
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp()) / "diversity.png"
    t = time.perf_counter()
    fig = plot_verb_noun(table)
    save_figure(fig, out)
    t_plot = time.perf_counter() - t
    print(format_summary(diversity_summary(table)))
    print(f"load parser      {t_load:7.1f} s")
    print(f"parse ({a.n_process} procs)  {t_par:7.1f} s  {len(texts) / t_par:8.0f} instructions/s (wall clock)")
    print(f"parse CPU time   {c_par:7.1f} s  {len(texts) / c_par:8.0f} instructions per CPU-second; "
          f"with {a.n_process} idle cores the parse would take about {c_par / a.n_process:.0f} s")
    print(f"plot + save      {t_plot:7.1f} s  -> {out} (+ .svg)")
    total = t_load + t_par + t_plot
    print(f"total            {total:7.1f} s  ({'within' if total <= 180 else 'OVER'} the 3-minute target)")
    if a.serial:
        t = time.perf_counter(); verb_noun_table(texts, n_process=1, batch_size=a.batch_size); t_one = time.perf_counter() - t
        print(f"parse (1 proc)   {t_one:7.1f} s  {len(texts) / t_one:8.0f} instructions/s; speed-up x{t_one / t_par:.2f}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")

if __name__ == "__main__": main()
