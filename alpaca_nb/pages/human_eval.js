// Blind pairwise evaluation page of alpaca_nb (served by alpaca_nb_human_eval).
// Model text is only ever put on the page with textContent: an answer holding HTML shows as text.
"use strict";

const $ = (id) => document.getElementById(id);
let annotator = new URLSearchParams(location.search).get("annotator") || "";
let state = null;   // the server's last answer: what is on screen
let busy = false;   // a request is in flight: keys and buttons wait for it

function setText(id, value) { $(id).textContent = value == null ? "" : String(value); }
function fmt(x) { return typeof x === "number" && isFinite(x) ? x.toFixed(1) : "–"; }
function status(message, isError) {
  setText("status", message);
  $("status").className = isError ? "error" : "";
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method, cache: "no-store",
    headers: body ? {"Content-Type": "application/json"} : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON: handled below */ }
  if (!res.ok) {
    const err = new Error((data && data.detail) || `the server answered HTTP ${res.status}`);
    err.state = data && data.state;
    throw err;
  }
  return data;
}

function renderRow(key, r) {
  setText(`wr-${key}`, fmt(r.win_rate));
  setText(`se-${key}`, fmt(r.standard_error));
  setText(`wins-${key}`, r.wins);
  setText(`ties-${key}`, r.ties);
  setText(`losses-${key}`, r.losses);
  setText(`n-${key}`, r.n);
}

function renderSummary(s) {
  setText("name-a", s.a);
  setText("name-b", s.b);
  renderRow("annotator", s.annotator);
  renderRow("pooled", s.pooled);
  const j = s.judge;
  $("judge-line").hidden = !j;
  if (j) setText("judge-line", `Agreement of your judgements with the LLM judge (${j.judge}): ` +
    `${fmt(j.percent_agreement)}% on ${j.n} items, Cohen's kappa ${typeof j.kappa === "number" ? j.kappa.toFixed(2) : "–"}.`);
}

function render(s) {
  state = s;
  annotator = s.annotator;
  setText("annotator", s.annotator);
  setText("judged-count", `${s.judged} judged`);
  $("undo").disabled = !s.can_undo;
  $("undo-done").disabled = !s.can_undo;
  document.body.dataset.item = s.item ? s.item.id : "";
  if (s.done) {
    setText("progress", `${s.total} / ${s.total}`);
    $("judge").hidden = true;
    $("done").hidden = false;
    renderSummary(s.summary);
    return;
  }
  setText("progress", `${s.position} / ${s.total}`);
  $("done").hidden = true;
  $("judge").hidden = false;
  setText("instruction", s.item.instruction);
  setText("input", s.item.input);
  $("input-box").hidden = !s.item.input;
  setText("first", s.item.first);
  setText("second", s.item.second);
  window.scrollTo(0, 0);
}

async function send(method, path, body, done) {
  if (busy) return;
  busy = true;
  document.body.classList.add("busy");
  try {
    render(await call(method, path, body));
    status(done, false);
  } catch (err) {
    if (err.state) { render(err.state); status(err.message, true); }
    else status(`Not saved: ${err.message}. Is alpaca_nb_human_eval still running? Start it again and retry.`, true);
  } finally {
    busy = false;
    document.body.classList.remove("busy");
  }
}

const SAID = {first: "Saved: first is better.", second: "Saved: second is better.", tie: "Saved: a tie.",
              skip: "Skipped; it comes back after the others."};

function choose(choice) {
  if (!state || state.done) return;
  send("POST", "api/judge", {annotator, item: state.item.id, choice}, SAID[choice]);
}

function undo() {
  if (!state || !state.can_undo) return;
  send("POST", "api/undo", {annotator}, "Undone.");
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  const key = ev.key.toLowerCase();
  const choice = {"1": "first", "2": "second", "t": "tie", "s": "skip"}[key];
  if (choice) { ev.preventDefault(); choose(choice); }
  else if (key === "u") { ev.preventDefault(); undo(); }
});

for (const b of document.querySelectorAll("button[data-choice]")) b.addEventListener("click", () => choose(b.dataset.choice));
$("undo").addEventListener("click", undo);
$("undo-done").addEventListener("click", undo);

send("GET", "api/state?annotator=" + encodeURIComponent(annotator), null, "");
