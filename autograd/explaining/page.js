// tracegrad's backward-pass page (autograd/explaining/page.py inlines this file and the data it reads).
// The picture is render_svg's: each Value is the node titled v<i> (its operation v<i>op),
// each edge is titled "<tail>-><head>". Frames come from the engine (page.py); this script
// only shows frame k: it replays frames 0..k into per-Value state and updates what changed.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("tg-data").textContent);
  const N = D.names.length;
  const F = D.frames;
  const SVGNS = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("tg-graph");
  const picture = document.getElementById("tg-picture");

  // ---- find each Value's pieces in the drawing by its DOT node name
  const nodeOf = (title) => {
    const m = /^v(\d+)(op)?$/.exec(title.trim());
    return m ? Number(m[1]) : -1;
  };
  const groups = Array.from({ length: N }, () => []); // record and op node <g> per Value
  const cells = new Array(N).fill(null); // {grad, data, rect, meet, box}
  svg.querySelectorAll("g.node").forEach((g) => {
    const t = g.querySelector("title");
    const i = t ? nodeOf(t.textContent) : -1;
    if (i < 0 || i >= N) return;
    groups[i].push(g);
    g.setAttribute("data-node", String(i));
    if (t.textContent.trim() !== "v" + i) return; // the op node has no cells
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", D.names[i] + ": show how its gradient is obtained");
    g.id = "tg-node-" + i;
    let grad = null;
    let data = null;
    g.querySelectorAll("text").forEach((el) => {
      const s = el.textContent;
      if (s.startsWith("grad ")) grad = el;
      else if (s.startsWith("data ")) data = el;
    });
    const c = { grad, data, rect: null, meet: null, shape: g.querySelector("polygon") };
    if (grad) {
      const b = grad.getBBox();
      c.rect = document.createElementNS(SVGNS, "rect");
      c.rect.setAttribute("x", b.x - 3);
      c.rect.setAttribute("y", b.y - 1);
      c.rect.setAttribute("width", b.width + 6);
      c.rect.setAttribute("height", b.height + 2);
      c.rect.setAttribute("class", "tg-cell");
      c.rect.style.display = "none";
      g.insertBefore(c.rect, grad);
      grad.classList.add("tg-grad-cell");
      grad.setAttribute("data-node", String(i));
    }
    if (data) data.classList.add("tg-data-cell");
    cells[i] = c;
  });
  // sums where paths meet are drawn last, over the edges
  const overlay = document.createElementNS(SVGNS, "g");
  overlay.setAttribute("class", "tg-overlay");
  (svg.querySelector("g.graph") || svg).appendChild(overlay);
  // an unlabelled operation's record gets the name the text uses (v1, v2, ...), small, above it
  cells.forEach((c, i) => {
    if (!c || !c.shape || !D.op[i]) return;
    const texts = Array.from(c.shape.parentNode.querySelectorAll("text"));
    if (texts.some((t) => t.textContent === D.names[i])) return;
    const b = c.shape.getBBox();
    const tag = document.createElementNS(SVGNS, "text");
    tag.setAttribute("class", "tg-name");
    tag.setAttribute("x", b.x + 2);
    tag.setAttribute("y", b.y - 3);
    tag.textContent = D.names[i];
    overlay.appendChild(tag);
  });
  const edgesInto = Array.from({ length: N }, () => []); // edges whose head is Value i
  svg.querySelectorAll("g.edge").forEach((g) => {
    const t = g.querySelector("title");
    if (!t) return;
    const ends = t.textContent.split("->");
    if (ends.length !== 2) return;
    const head = nodeOf(ends[1]);
    if (head >= 0 && head < N) edgesInto[head].push(g);
  });

  // ---- the state after frame k, replayed from the start
  const hasForward = F.some((f) => f.k === "forward");
  function stateAt(k) {
    const shown = D.op.map((isOp) => !isOp || !hasForward); // inputs are given from the start
    const parts = Array.from({ length: N }, () => []);
    const total = new Array(N).fill(null);
    for (let j = 0; j <= k; j++) {
      const f = F[j];
      if (f.k === "forward") shown[f.n] = true;
      for (const [i, amount, sum] of f.c) {
        parts[i].push(amount);
        total[i] = sum;
      }
    }
    return { shown, parts, total };
  }

  const rows = Array.from({ length: N }, (_, i) => document.getElementById("tg-row-" + i));
  const items = F.map((_, k) => document.getElementById("tg-frame-" + k));
  const now = document.getElementById("tg-now");
  const meet = document.getElementById("tg-meet");
  const slider = document.getElementById("tg-slider");
  const counter = document.getElementById("tg-counter");
  const playButton = document.getElementById("tg-play");
  const nBackward = F.filter((f) => f.k === "backward").length;
  const nForward = F.filter((f) => f.k === "forward").length;

  const sumText = (ps) => ps.map((p, j) => (j && p.startsWith("-") ? "(" + p + ")" : p))
    .join(" + ");
  let shownState = null;
  let current = -1;
  let lit = [];

  function paint(i, st, k) {
    const c = cells[i];
    const ps = st.parts[i];
    const fin = ps.length > 0 && k >= D.final[i];
    const state = ps.length === 0 ? "tg-unknown" : fin ? "tg-final" : "tg-partial";
    const gradText = ps.length === 0 ? "?" : fin ? D.grad[i] : st.total[i];
    const meetText = ps.length > 1 ? sumText(ps) + " = " + (fin ? D.grad[i] : st.total[i]) : "";
    const dataText = st.shown[i] ? D.data[i] : "?";
    const key = [state, gradText, meetText, dataText].join("|");
    if (shownState && shownState[i] === key) return key; // unchanged: touch nothing
    if (c && c.grad) {
      c.grad.textContent = "grad " + gradText;
      c.grad.classList.remove("tg-unknown", "tg-partial", "tg-final");
      c.grad.classList.add(state);
      c.grad.setAttribute("data-state", state.slice(3));
      c.rect.style.display = ps.length === 0 ? "none" : "";
      c.rect.classList.toggle("tg-final", fin);
      if (meetText && !c.meet) {
        const b = c.shape.getBBox();
        c.meet = document.createElementNS(SVGNS, "text");
        c.meet.setAttribute("class", "tg-meet");
        c.meet.setAttribute("data-node", String(i));
        c.meet.setAttribute("text-anchor", "middle");
        c.meet.setAttribute("x", c.grad.getAttribute("x"));
        c.meet.setAttribute("y", b.y + b.height + 10);
        overlay.appendChild(c.meet);
      }
      if (c.meet) c.meet.textContent = meetText ? "= " + sumText(ps) : ""; // the cell has the total
    }
    if (c && c.data) {
      c.data.textContent = "data " + dataText;
      c.data.classList.toggle("tg-unknown", !st.shown[i]);
    }
    const row = rows[i];
    if (row) {
      row.querySelector(".tg-data").textContent = dataText;
      const g = row.querySelector(".tg-grad");
      g.textContent = ps.length === 0 ? "" : gradText;
      g.className = "tg-grad " + (ps.length === 0 ? "" : state);
      row.querySelector(".tg-sum").textContent = ps.length > 1 ? meetText : "";
    }
    return key;
  }

  function show(k) {
    k = Math.max(0, Math.min(F.length - 1, k));
    const st = stateAt(k);
    const keys = new Array(N);
    for (let i = 0; i < N; i++) keys[i] = paint(i, st, k);
    shownState = keys;
    cells.forEach((c) => c && c.rect && c.rect.classList.remove("tg-new"));
    F[k].c.forEach(([i]) => cells[i] && cells[i].rect && cells[i].rect.classList.add("tg-new"));
    // highlight the current Value and the edges into it
    lit.forEach((el) => el.classList.remove("tg-current", "tg-flow"));
    lit = [];
    const f = F[k];
    document.body.classList.toggle("tg-forward", f.k === "forward");
    if (f.n >= 0) {
      groups[f.n].forEach((g) => { g.classList.add("tg-current"); lit.push(g); });
      edgesInto[f.n].forEach((g) => { g.classList.add("tg-flow"); lit.push(g); });
      if (rows[f.n]) { rows[f.n].classList.add("tg-current"); lit.push(rows[f.n]); }
    }
    svg.setAttribute("data-current", f.n >= 0 ? D.names[f.n] : "");
    svg.setAttribute("data-frame", String(k));
    // the text: this step, where paths meet, the list of steps
    now.textContent = items[k].textContent;
    const met = f.c.filter(([i]) => st.parts[i].length > 1)
      .map(([i]) => D.names[i] + "'s grad has " + st.parts[i].length + " contributions: "
        + sumText(st.parts[i]) + " = " + st.total[i]
        + (k >= D.final[i] ? " (complete: every path has arrived)" : " (more to come)"));
    meet.textContent = met.join("; ");
    items.forEach((li, j) => {
      li.classList.toggle("tg-here", j === k);
      li.classList.toggle("tg-done", j < k);
    });
    if (items[k]) items[k].setAttribute("aria-current", "step");
    if (current >= 0 && current !== k && items[current]) items[current].removeAttribute("aria-current");
    slider.value = String(k);
    slider.setAttribute("aria-valuetext", "frame " + k + " of " + (F.length - 1) + ": " + f.k);
    const b = F.slice(0, k + 1).filter((x) => x.k === "backward").length;
    const fw = F.slice(0, k + 1).filter((x) => x.k === "forward").length;
    counter.textContent = f.k === "forward" ? "forward " + fw + " / " + nForward
      : "backward " + b + " / " + nBackward;
    current = k;
    if (f.n >= 0) keepInView([...groups[f.n], ...f.p.flatMap((p) => groups[p])]); // the step
  }

  // the current step (the Value, its operation, its inputs) stays in the picture's view
  function keepInView(gs) {
    if (!gs.length) return;
    const rs = gs.map((g) => g.getBoundingClientRect());
    const left = Math.min(...rs.map((r) => r.left));
    const right = Math.max(...rs.map((r) => r.right));
    const top = Math.min(...rs.map((r) => r.top));
    const bottom = Math.max(...rs.map((r) => r.bottom));
    const pb = picture.getBoundingClientRect();
    const w = picture.clientWidth;
    const h = picture.clientHeight;
    if (left < pb.left || right > pb.left + w) {
      picture.scrollLeft += (left + right) / 2 - (pb.left + w / 2);
    }
    if (top < pb.top || bottom > pb.top + h) {
      picture.scrollTop += (top + bottom) / 2 - (pb.top + h / 2);
    }
  }

  // ---- playing
  let timer = null;
  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    playButton.textContent = "▶ play";
    playButton.setAttribute("aria-label", "play");
    playButton.setAttribute("aria-pressed", "false");
  }
  function play() {
    if (current >= F.length - 1) show(0);
    timer = setInterval(() => {
      const k = gate(current + 1);
      if (current >= F.length - 1 || k <= current) pause();
      else show(k);
    }, 900);
    playButton.textContent = "⏸ pause";
    playButton.setAttribute("aria-label", "pause");
    playButton.setAttribute("aria-pressed", "true");
  }
  const toggle = () => (timer === null ? play() : pause());
  // practice mode (page_practice.js) may hold the pass before a step whose gradients it asks for
  let gate = (k) => k;
  const go = (k) => { pause(); show(gate(Math.max(0, Math.min(F.length - 1, k)))); };

  document.getElementById("tg-first").addEventListener("click", () => go(0));
  document.getElementById("tg-prev").addEventListener("click", () => go(current - 1));
  document.getElementById("tg-next").addEventListener("click", () => go(current + 1));
  document.getElementById("tg-last").addEventListener("click", () => go(F.length - 1));
  playButton.addEventListener("click", toggle);
  slider.addEventListener("input", () => go(Number(slider.value)));
  items.forEach((li, k) => li.addEventListener("click", () => go(k)));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const tag = e.target && e.target.tagName;
    const onSlider = e.target === slider;
    if ((tag === "BUTTON" || e.target.getAttribute("role") === "button")
        && (e.key === " " || e.key === "Enter")) return; // the focused control's own action
    if (tag === "INPUT" && !onSlider) return;
    let handled = true;
    if (e.key === "ArrowRight" && !onSlider) go(current + 1);
    else if (e.key === "ArrowLeft" && !onSlider) go(current - 1);
    else if (e.key === "Home" && !onSlider) go(0);
    else if (e.key === "End" && !onSlider) go(F.length - 1);
    else if (e.key === " ") toggle();
    else handled = false;
    if (handled) e.preventDefault();
  });

  // ---- explanations
  const explainBox = document.getElementById("tg-explain");
  let selected = -1;
  function explainNode(i) {
    if (selected >= 0) groups[selected].forEach((g) => g.classList.remove("tg-selected"));
    selected = i;
    groups[i].forEach((g) => g.classList.add("tg-selected"));
    const text = D.explain[String(i)];
    explainBox.textContent = text !== undefined ? text
      : D.names[i] + ": this graph is large, so only labelled Values carry their derivation "
        + "here; in Python: print(explain(root, wrt=value)).";
    explainBox.setAttribute("data-node", D.names[i]);
  }
  groups.forEach((gs, i) => gs.forEach((g) => {
    g.addEventListener("click", () => explainNode(i));
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); explainNode(i); }
    });
  }));
  document.querySelectorAll("button.tg-explain").forEach((b) => {
    b.addEventListener("click", () => explainNode(Number(b.getAttribute("data-node"))));
  });

  // ---- fitting the picture
  const fit = document.getElementById("tg-fit");
  const naturalWidth = svg.viewBox.baseVal ? svg.viewBox.baseVal.width * 4 / 3 : 0;
  fit.checked = naturalWidth > 0 && naturalWidth * 0.6 <= picture.clientWidth;
  const applyFit = () => picture.classList.toggle("tg-fit", fit.checked);
  fit.addEventListener("change", applyFit);
  applyFit();

  window.tracegradPage = {
    data: D, show, current: () => current, setGate: (fn) => { gate = fn; },
  };
  show(0);
})();
