// tracegrad's practice mode on the backward-pass page (autograd/page.py inlines this file after
// page.js). Before a backward step is shown, the learner types the gradients it completes; each
// answer is judged here by the homework checker's rules (tracegrad/checker/judging/diagnose.py, slips.py,
// precision.py), on the data page_practice.py puts in the page: per question the engine's value,
// its terms (which earlier question is upstream, the local partial). tracegrad's Python judge
// (tracegrad/practising/judge.py) and this one are compared case by case in
// tests/test_practice_page_rules.py, so the two cannot drift apart.
"use strict";
(function () {
  const page = window.tracegradPage;
  const P = page.data.practice;
  const Q = P.questions;
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  // ---- a written figure: the interval its digits allow (precision.py)
  function written(text) {
    const body = text.replace(/^[+-]/, "");
    const [mant, exp] = body.toLowerCase().split("e");
    const dot = mant.indexOf(".");
    const exponent = (exp === undefined ? 0 : Number(exp)) - (dot < 0 ? 0 : mant.length - dot - 1);
    const whole = /^\d+$/.test(body);
    const digits = mant.replace(".", "").replace(/^0+/, "") || "0";
    return {
      text, value: Number(text), whole, digits: digits.length,
      tol: whole ? 0 : 0.5 * Number("1e" + exponent),
      decimals: exp === undefined ? Math.max(0, -exponent) : null,
    };
  }
  function close(s, v, tol) {
    if (!Number.isFinite(v)) return false;
    return Math.abs(s - v) <= tol * (1 + 1e-9) + 1e-12 * Math.max(1, Math.abs(v));
  }
  // value (its shortest decimal form, as Python's repr) times 10**d, cut or rounded half-even
  function scaled(value, d, cut) {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value));
    if (!m) return null;
    const digits = m[2] + (m[3] || "");
    const shift = Number(m[4] || 0) - (m[3] || "").length + d;
    let q;
    if (shift >= 0) q = BigInt(digits + "0".repeat(shift));
    else {
      const keep = digits.length + shift;
      const head = keep > 0 ? digits.slice(0, keep) : "0";
      const rest = keep > 0 ? digits.slice(keep) : "0".repeat(-keep) + digits;
      q = BigInt(head);
      if (!cut) {
        const half = "5" + "0".repeat(rest.length - 1);
        if (rest > half || (rest === half && q % 2n === 1n)) q += 1n;
      }
    }
    return m[1] === "-" ? -q : q;
  }
  function truncates(a, value) {
    if (value === null || a.decimals === null || !Number.isFinite(value) || a.digits < 3) return false;
    const mant = a.text.replace(/^[+-]/, "").replace(".", "");
    const mine = (a.text[0] === "-" ? -1n : 1n) * BigInt(mant || "0");
    return scaled(value, a.decimals, true) === mine && scaled(value, a.decimals, false) !== mine;
  }
  function roundHalfEven(t) {
    return Math.abs(t % 1) === 0.5 ? 2 * Math.round(t / 2) : Math.round(t);
  }

  // ---- one figure judged, given the learner's figures for earlier questions (diagnose.py)
  function recipe(q, ups) {
    let total = 0;
    q.t.forEach(([up, , local], i) => { total += (up < 0 ? 1.0 : ups[i]) * local; });
    return total;
  }
  function judge(i, figures, text) {
    const q = Q[i];
    const a = written(text.trim());
    const s = a.value;
    const e = q.v;
    const tol = a.tol;
    const figs = q.t.map(([up]) => (up < 0 ? null : written(figures[up])));
    const ups = figs.map((f) => (f === null ? 1.0 : f.value));
    let carried = recipe(q, ups);
    let spread = 0;
    figs.forEach((f, k) => {
      if (f === null || f.tol <= 0) return;
      let moved = 0;
      for (const x of [f.value - f.tol, f.value + f.tol]) {
        const r = recipe(q, ups.map((u, j) => (j === k ? x : u)));
        moved = Math.max(moved, Math.abs(r - carried));
      }
      spread += moved;
    });
    if (close(carried, e, 1e-12) && spread === 0) carried = null;
    if (close(s, e, tol)) return verdict(true, "right");
    // a zero carried through earns no follow-through credit (rules.py, trivially): the
    // learner's own 0 makes this answer 0 whatever the working
    if (carried !== null && Math.abs(carried) <= 1e-12 && !close(0, e, tol) &&
        close(s, carried, tol + spread)) return verdict(false, "other");
    // carried forward, exactly or within what the learner's rounded figures allow; truncated
    // only where those figures do not explain it (diagnose.py, _accept)
    if (carried !== null && close(s, carried, tol + spread)) return verdict(true, "carried");
    if (truncates(a, e) || (carried !== null && truncates(a, carried))) {
      return verdict(true, "truncated");
    }
    if (a.whole && [e, carried].some((t) => t !== null && roundHalfEven(t) === s)) {
      return verdict(false, "whole");
    }
    if (e !== 0 && (close(-s, e, tol) || (carried !== null && close(-s, carried, tol + spread)))) {
      return verdict(false, "sign");
    }
    const pure = q.t.every(([, , , p]) => p);
    if (pure && q.t.length === 1 && q.t[0][0] >= 0) { // one path: upstream · local
      const [up, c, local] = q.t[0];
      const factors = [[Q[up].v, local, Q[up].q], [local, ups[0], "d" + c + "/d" + Q[i].name]];
      for (const [f, own, name] of factors) {
        if (f === 0 || Math.abs(Math.abs(f) - 1.0) < 1e-12) continue;
        if (close(s, e / f, tol) || close(s, own, tol)) return verdict(false, "factor", name);
      }
    }
    const n = q.t.length;
    if (pure && n >= 2 && n <= 10) {
      const exact = q.t.map(([up, , local]) => { let p = 1; if (up >= 0) p *= Q[up].v; return p * local; });
      const own = q.t.map(([up, , local], k) => { let p = 1; if (up >= 0) p *= ups[k]; return p * local; });
      for (let mask = 1; mask < 2 ** n - 1; mask++) {
        const part = (v) => v.reduce((acc, x, k) => (mask >> k & 1 ? acc + x : acc), 0);
        if (close(s, part(exact), tol) || close(s, part(own), tol)) return verdict(false, "path");
      }
    }
    return verdict(false, "other");

    function verdict(right, kind, factor) {
      // the hints come from page_practice.py (Question.hint): they name the rule and the
      // earlier question, never the answer, in the terminal's words
      const texts = {
        right: "right",
        carried: "right (carried forward from your own figures)",
        truncated: "right (truncated, not rounded)",
        whole: "wrong: a whole number claims to be exact; write the decimals",
        sign: "wrong: right size, wrong sign; check the sign of each factor: " + q.x,
        factor: "wrong: a factor of the chain rule is missing: look at " + factor + " (" + q.x + ")",
        path: q.p,
        other: "wrong: " + q.x,
      };
      return { right, kind, factor: factor || "", text: texts[kind] };
    }
  }
  window.tracegradPractice = { judge, questions: Q };

  // ---- the page: questions before the step that completes them, a score always in view
  const F = page.data.frames;
  const backwardFrames = F.map((f, k) => (f.k === "backward" ? k : -1)).filter((k) => k >= 0);
  const frameOf = Q.map((q) => backwardFrames[q.step]);
  const state = Q.map(() => ({ status: "pending", first: "", figure: null }));
  const toggle = document.getElementById("tg-practice");
  const quiz = document.getElementById("tg-quiz");
  const list = document.getElementById("tg-questions");
  const intro = document.getElementById("tg-quiz-step");
  const score = document.getElementById("tg-score");
  const showMe = document.getElementById("tg-showme");
  let asking = -1; // the frame whose questions are in the panel

  function updateScore() {
    const asked = state.filter((s) => s.first !== "").length;
    const right = state.filter((s) => s.first === "right").length;
    score.textContent = "score: " + right + " of " + asked;
    score.setAttribute("data-right", String(right));
    score.setAttribute("data-asked", String(asked));
  }
  function render(frame) {
    asking = frame;
    list.textContent = "";
    const node = F[frame].n;
    intro.textContent = "Step " + (backwardFrames.indexOf(frame) + 1) + ": " + page.data.names[node]
      + " passes its gradient back. Type the gradient" + (Q.filter((_, i) => frameOf[i] === frame)
      .length > 1 ? "s" : "") + " this step completes, then Enter.";
    Q.forEach((q, i) => {
      if (frameOf[i] !== frame) return;
      const row = document.createElement("p");
      row.className = "tg-question";
      const label = document.createElement("label");
      label.setAttribute("for", "tg-answer-" + i);
      label.textContent = q.q + " = ";
      const input = document.createElement("input");
      input.type = "text";
      input.id = "tg-answer-" + i;
      input.setAttribute("inputmode", "decimal");
      input.setAttribute("autocomplete", "off");
      input.setAttribute("aria-label", "your answer for " + q.q);
      const out = document.createElement("span");
      out.id = "tg-verdict-" + i;
      out.className = "tg-verdict";
      out.setAttribute("role", "status");
      const st = state[i];
      if (st.status !== "pending") {
        input.value = st.figure;
        input.readOnly = true;
        out.setAttribute("data-verdict", st.status === "shown" ? "shown" : "right");
        out.textContent = st.status === "shown" ? "shown: " + q.shown : st.text;
      }
      input.addEventListener("keydown", (ev) => {
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        check(i, input, out);
      });
      row.append(label, input, " ", out);
      list.appendChild(row);
    });
    quiz.hidden = false;
    showMe.disabled = !Q.some((_, i) => frameOf[i] === frame && state[i].status === "pending");
  }
  function check(i, input, out) {
    const st = state[i];
    const text = input.value.trim();
    if (st.status !== "pending") return;
    if (!NUMBER.test(text)) {
      out.setAttribute("data-verdict", "invalid");
      out.textContent = "not a number: write it like -0.25 or 3e-4";
      return;
    }
    const figures = state.map((s) => s.figure);
    const v = judge(i, figures, text);
    if (st.first === "") st.first = v.right ? "right" : "wrong";
    out.setAttribute("data-verdict", v.right ? "right" : "wrong");
    out.setAttribute("data-kind", v.kind);
    st.wrong = (st.wrong || 0) + (v.right ? 0 : 1);
    // after two wrong tries the way out is offered (the terminal's `?`), never taken for them
    out.textContent = st.wrong >= 2 && !v.right ? v.text + " (stuck? Show me reveals it)" : v.text;
    if (v.right) {
      st.status = "right";
      st.figure = text;
      st.text = v.text;
      input.readOnly = true;
    }
    updateScore();
    finishIfDone(asking);
  }
  function finishIfDone(frame) {
    const open = Q.map((_, i) => i).filter((i) => frameOf[i] === frame && state[i].status === "pending");
    showMe.disabled = open.length === 0;
    if (open.length === 0) { // every gradient of the step is in: reveal it, → goes on
      page.show(frame);
      document.getElementById("tg-next").focus();
    } else document.getElementById("tg-answer-" + open[0]).focus();
  }
  showMe.addEventListener("click", () => {
    if (asking < 0) return;
    Q.forEach((q, i) => {
      if (frameOf[i] !== asking || state[i].status !== "pending") return;
      if (state[i].first === "") state[i].first = "shown";
      state[i].status = "shown";
      state[i].figure = q.shown;
    });
    updateScore();
    render(asking);
    page.show(asking);
    document.getElementById("tg-next").focus();
  });
  // the gate page.js asks before it moves to frame k: the first step with questions open
  function gate(k) {
    if (!toggle.checked) return k;
    const open = Q.map((_, i) => i).filter((i) => state[i].status === "pending" && frameOf[i] <= k);
    if (open.length === 0) return k;
    const frame = Math.min(...open.map((i) => frameOf[i]));
    if (asking !== frame || quiz.hidden) render(frame); // keep what is typed in the boxes
    const first = Q.map((_, i) => i).find((i) => frameOf[i] === frame && state[i].status === "pending");
    setTimeout(() => document.getElementById("tg-answer-" + first).focus(), 0);
    return frame - 1;
  }
  function setMode() {
    const on = toggle.checked;
    document.body.classList.toggle("tg-practising", on);
    score.hidden = !on;
    if (!on) { quiz.hidden = true; return; }
    const now = page.current();
    Q.forEach((q, i) => { // steps already on screen are not asked again
      if (frameOf[i] <= now && state[i].status === "pending") {
        state[i].status = "shown";
        state[i].figure = q.shown;
      }
    });
    updateScore();
    if (asking < 0 || asking <= now) quiz.hidden = true;
  }
  if (Q.length === 0) {
    toggle.disabled = true;
    toggle.parentNode.title = P.why || "nothing to practise: every input is a plain number";
  }
  toggle.addEventListener("change", setMode);
  page.setGate(gate);
  setMode();
  updateScore();
  document.body.setAttribute("data-ready", "true");
})();
