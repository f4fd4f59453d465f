// The "Try it" page: Pyodide, tracegrad's wheel and Viz.js (Graphviz), all from this site.
// manifest.json (written by docs/make_try.py at `make docs`) names the wheels and versions.
// Stable surface for the tests: textarea[aria-label="Python code"], the button "Run",
// [aria-label="output"], and <body data-state>: loading, ready, running, ready ..., or error.

const $ = (id) => document.getElementById(id);
const code = $("code");
const runButton = $("run");
const output = $("output");
const status = $("status");
let runCode = null; // the Python function runner.run, once loaded
const started = performance.now();

function setState(state, message) {
  document.body.dataset.state = state;
  if (message !== undefined) status.textContent = message;
  runButton.disabled = state !== "ready";
}

// seconds since the page started, at the start of each loading step (window.tgTimings)
const timings = (window.tgTimings = {});

function progress(message) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  timings[message] = Number(seconds);
  status.textContent = `${message} (${seconds} s)`;
}

async function fetchOk(url, kind) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return kind === "json" ? response.json() : kind === "bytes" ? response.arrayBuffer() : response.text();
}

// A picture from Graphviz, put into the page as SVG elements. Graphviz escapes the labels it
// writes; scripts, foreign objects, event handlers and javascript: links are dropped anyway.
function safeSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg" || doc.querySelector("parsererror")) return null;
  svg.querySelectorAll("script, foreignObject").forEach((el) => el.remove());
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.toLowerCase().startsWith("on") || value.startsWith("javascript:")) {
        el.removeAttribute(attr.name);
      }
    }
  }
  return document.importNode(svg, true);
}

function show(kind, text) {
  if (kind === "svg") {
    const svg = safeSvg(text);
    if (svg) {
      const figure = document.createElement("div");
      figure.className = "figure";
      figure.appendChild(svg);
      output.appendChild(figure);
      return;
    }
    text = "(a picture that could not be read)\n";
  }
  const span = document.createElement("span");
  if (kind === "error") span.className = "error";
  span.textContent = text;
  output.appendChild(span);
}

async function run() {
  if (document.body.dataset.state !== "ready") return;
  setState("running", "Running…");
  output.replaceChildren();
  await new Promise((resolve) => setTimeout(resolve, 0)); // show "running" before Python blocks
  const t0 = performance.now();
  try {
    const items = runCode(code.value);
    const list = items.toJs();
    items.destroy();
    for (const [kind, text] of list) show(kind, text);
    const ms = Math.round(performance.now() - t0);
    setState("ready", `Ran in ${ms} ms. Ready.`);
  } catch (err) {
    // an error of Pyodide itself (runner.run catches Python's): the page stays usable
    show("error", `${String(err.message || err).trim().split("\n").pop()}\n`);
    setState("ready", "Ready.");
  }
}

async function loadExample(name) {
  code.value = await fetchOk(`examples/${name}.py`);
}

async function main() {
  progress("Loading…");
  const manifest = await fetchOk("manifest.json", "json");
  $("versions").textContent =
    `tracegrad ${manifest.tracegrad}, Python ${manifest.python} in Pyodide ${manifest.pyodide} ` +
    `(MPL-2.0), Graphviz through Viz.js ${manifest.viz} (MIT; Graphviz: EPL). ` +
    "Everything is loaded from this site.";
  progress(`Loading Python (Pyodide ${manifest.pyodide}, about 13 MB)…`);
  const { loadPyodide } = await import("./pyodide/pyodide.mjs");
  const pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", window.location.href).href,
    stdout: (line) => show("text", `${line}\n`),
    stderr: (line) => show("text", `${line}\n`),
  });
  progress("Loading Graphviz…");
  const { instance } = await import("./viz/viz.js");
  globalThis.tracegradGraphviz = await instance(); // tracegrad.autograd.drawing.browser
  progress(`Loading tracegrad ${manifest.tracegrad}…`);
  for (const wheel of manifest.wheels) {
    pyodide.unpackArchive(await fetchOk(`wheels/${wheel}`, "bytes"), "wheel");
  }
  const namespace = pyodide.globals.get("dict")();
  pyodide.runPython(await fetchOk("runner.py"), { globals: namespace });
  pyodide.runPython("import tracegrad, tracegrad.autograd.drawing.render", { globals: namespace });
  runCode = namespace.get("run");
  if (!code.value.trim()) await loadExample("first-session");
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  timings.ready = Number(seconds);
  setState("ready", `Ready (loaded in ${seconds} s). Press Run.`);
}

runButton.addEventListener("click", run);
code.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    run();
  }
});
document.querySelectorAll("button[data-example]").forEach((button) => {
  button.addEventListener("click", async () => {
    try {
      await loadExample(button.dataset.example);
    } catch (err) {
      status.textContent = `Could not load the example: ${err.message || err}`;
    }
  });
});

setState("loading");
main().catch((err) => {
  setState("error", `Could not load: ${String(err.message || err).trim().split("\n")[0]}`);
});
