// Demo page of alpaca_nb_serve (served at /): an instruction in, the model's answer streamed out,
// through this same server's OpenAI-compatible /v1 API.
// Model text is only ever put on the page as text nodes: an answer holding HTML shows as text.
"use strict";

const $ = (id) => document.getElementById(id);
let templates = null;                                   // Alpaca's two prompt templates, from the server
let key = sessionStorage.getItem("alpaca_nb_api_key") || "";
let running = [];                                       // one AbortController per answer being streamed

function status(message, isError) {
  $("status").textContent = message || "";
  $("status").className = isError ? "error" : "";
}

function headers() {
  const h = {"Content-Type": "application/json"};
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

// The Alpaca prompt, as alpaca_nb.prompts.format_prompt makes it: the input template only when the input has content.
// One pass of replace() with a function, so that text the user typed is never read as a placeholder or a "$&".
function alpacaPrompt(instruction, input) {
  const fields = {instruction, input};
  const template = input.trim() ? templates.prompt_input : templates.prompt_no_input;
  return template.replace(/\{(instruction|input)\}/g, (_, name) => fields[name]);
}

async function errorOf(res) {
  const body = await res.json().catch(() => null);
  return new Error(body && body.error ? body.error.message : `the server answered HTTP ${res.status}`);
}

async function loadModels() {
  const res = await fetch("/v1/models", {headers: headers(), cache: "no-store"});
  if (res.status === 401) {
    $("key-form").hidden = false;
    $("served").textContent = "an API key is needed";
    status(key ? "That key was refused." : "This server needs its API key.", Boolean(key));
    return;
  }
  if (!res.ok) throw await errorOf(res);
  $("key-form").hidden = true;
  const names = (await res.json()).data.map((m) => m.id);
  for (const [select, first] of [[$("model-a"), 0], [$("model-b"), 1]]) {
    for (const name of names) select.append(new Option(name, name));
    if (names[first]) select.value = names[first];
  }
  $("compare-label").hidden = names.length < 2;
  $("served").textContent = names.join(" and ");
  status("");
}

function usageLine(usage, finish, t0, tFirst) {
  const seconds = (performance.now() - t0) / 1000;
  const parts = [];
  if (usage) {
    parts.push(`${usage.prompt_tokens} prompt tokens`, `${usage.completion_tokens} completion tokens`);
    if (tFirst !== null && usage.completion_tokens > 1)
      parts.push(`${(usage.completion_tokens / ((performance.now() - tFirst) / 1000 || 1e-9)).toFixed(1)} tokens/s`);
  }
  parts.push(`${seconds.toFixed(1)} s`);
  parts.push(finish === "stop" ? "ended by itself" : finish === "length" ? "stopped at max tokens" : `finish: ${finish}`);
  return parts.join(" · ");
}

// Stream one answer into column `col`: server-sent events of /v1/completions, one chunk of text each.
async function streamAnswer(col, model, prompt, params) {
  const out = $(`answer-${col}`), usage = $(`usage-${col}`);
  $(`name-${col}`).textContent = model;
  out.textContent = "";
  usage.textContent = "waiting for the first token…";
  out.classList.add("streaming");
  const ctl = new AbortController();
  running.push(ctl);
  const t0 = performance.now();
  let tFirst = null, finish = null, used = null;
  try {
    const res = await fetch("/v1/completions", {
      method: "POST", headers: headers(), signal: ctl.signal, cache: "no-store",
      body: JSON.stringify({model, prompt, stream: true, stream_options: {include_usage: true}, ...params}),
    });
    if (!res.ok) throw await errorOf(res);
    const reader = res.body.getReader(), utf8 = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += utf8.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {       // one event per blank-line-ended block
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          const chunk = JSON.parse(line.slice(6));
          if (chunk.error) throw new Error(chunk.error.message);
          if (chunk.usage) used = chunk.usage;
          for (const choice of chunk.choices || []) {
            if (choice.text) {
              if (tFirst === null) tFirst = performance.now();
              out.append(document.createTextNode(choice.text));
            }
            if (choice.finish_reason) finish = choice.finish_reason;
          }
        }
      }
    }
    usage.textContent = usageLine(used, finish, t0, tFirst);
  } catch (e) {
    if (e.name === "AbortError") usage.textContent = `stopped by you after ${out.textContent.length} characters`;
    else { usage.textContent = ""; status(`${model}: ${e.message}`, true); }
  } finally {
    out.classList.remove("streaming");
    running = running.filter((c) => c !== ctl);
  }
}

function stopAll() { for (const ctl of running) ctl.abort(); }

async function send(event) {
  if (event) event.preventDefault();
  const instruction = $("instruction").value;
  if (!instruction.trim()) { status("Write an instruction first.", true); return; }
  if (!templates) { status("The prompt templates have not loaded yet.", true); return; }
  stopAll();
  status("");
  const prompt = alpacaPrompt(instruction, $("input").value);
  $("prompt").textContent = prompt;
  const params = {max_tokens: Number($("max_tokens").value), temperature: Number($("temperature").value),
                  top_p: Number($("top_p").value)};
  const models = [["a", $("model-a").value], ["b", $("compare-label").hidden ? "" : $("model-b").value]].filter(([, m]) => m);
  $("col-b").hidden = models.length < 2;
  $("answers").classList.toggle("two", models.length > 1);
  $("send").disabled = true;
  $("stop").disabled = false;
  try { await Promise.all(models.map(([col, model]) => streamAnswer(col, model, prompt, params))); }
  finally { $("send").disabled = false; $("stop").disabled = true; }
}

$("ask").addEventListener("submit", send);
$("stop").addEventListener("click", stopAll);
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e);
  else if (e.key === "Escape") stopAll();
});
$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  key = $("key").value.trim();
  sessionStorage.setItem("alpaca_nb_api_key", key);
  loadModels().catch((err) => status(err.message, true));
});

(async () => {
  try {
    templates = await (await fetch("/pages/templates.json", {cache: "no-store"})).json();
    await loadModels();
  } catch (e) { status(`Could not reach the server: ${e.message}`, true); }
})();
