"""The backward-pass page's content (no browser: tests/test_page_browser.py drives it), the
REPL walker step_through, a Step's repr and `tracegrad step`."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest
from strategies import big_graph
from tracegrad.autograd import (
    GraphTooLargeError,
    Value,
    backward_page,
    backward_steps,
    explain,
    save_html,
    step_through,
    topo_order,
)
from tracegrad.autograd.explaining.page import EXPLAIN_ALL_UP_TO
from tracegrad.autograd.formatting import fmt

from tracegrad import examples, seed
from tracegrad.cli import main


def page_data(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', text, re.S)
    assert m, "the page carries its data as JSON"
    return json.loads(m.group(1))


def neuron() -> Value:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.5, label="b")
    z = x * w + b
    z.label = "z"
    y = z.tanh()
    y.label = "y"
    return y


def engine_grads(build) -> list[float]:
    """The grads of a fresh graph after backward(), in topological order."""
    root = build()
    root.backward()
    return [v.grad for v in topo_order(root)]


# ---------------------------------------------------------------- the REPL
def test_a_steps_repr_is_its_readable_line_and_its_fields_stay() -> None:
    v = seed.build()
    step = next(iter(backward_steps(v["E"])))
    assert repr(step) == str(step)
    assert repr(step).startswith("E = v12 + v18   dE/dv12 += dE/dE · 1 = 1.0000")
    assert "0x" not in repr(step) and "lambda" not in repr(step) and "Step(" not in repr(step)
    assert step.node is v["E"] and step.upstream == 1.0 and step.partials == (1.0, 1.0)


def test_step_through_walks_every_step_one_enter_each() -> None:
    v = seed.build()
    prompts: list[str] = []
    out = io.StringIO()
    shown = step_through(v["E"], read=lambda p: prompts.append(p) or "", file=out)
    text = out.getvalue()
    expected = [str(s) for s in backward_steps(seed.build()["E"])]
    assert shown is None  # nothing left behind at a prompt
    assert text.count("\n[") == len(expected) == 27
    assert len(prompts) == len(expected) - 1  # no Enter needed after the last step
    assert "[1/27] E = v12 + v18   dE/dv12" in text and "[27/27] v1 = x1 * w1" in text
    assert text.rstrip().endswith("done: every grad is final (the same as E.backward()).")
    assert [v.grad for v in topo_order(v["E"])] == engine_grads(lambda: seed.build()["E"])


def test_step_through_stops_on_q_or_end_of_input() -> None:
    v = seed.build()
    answers = iter(["", "q"])
    out = io.StringIO()
    assert step_through(v["E"], read=lambda p: next(answers), file=out) is None
    assert "stopped after 2 of 27 steps." in out.getvalue()
    assert v["w1"].grad == 0.0  # the pass stopped before reaching w1

    def eof(prompt: str) -> str:
        raise EOFError

    out = io.StringIO()
    step_through(seed.build()["E"], read=eof, file=out)
    assert "stopped after 1 of 27 steps." in out.getvalue()


def test_step_through_a_leaf() -> None:
    out = io.StringIO()
    assert step_through(Value(3.0, label="a"), read=lambda p: "", file=out) is None
    assert "a is a leaf" in out.getvalue()


# ---------------------------------------------------------------- the page's content
@pytest.fixture(scope="module")
def seed_page() -> tuple[str, dict]:
    page = backward_page(seed.build()["E"])
    return page.html, page_data(page.html)


def test_the_seed_page_is_small_and_self_contained(seed_page: tuple[str, dict]) -> None:
    text, _ = seed_page
    assert len(text.encode("utf-8")) < 300_000
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    # nothing to fetch: no src= or href= anywhere, no url(...) in the styles
    assert not re.search(r"\b(src|href)\s*=", text)
    assert "url(" not in text and "@import" not in text
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text  # the SVG is inline
    assert text.count("<svg") == 1


def test_every_backward_step_is_in_the_page_as_the_engines_text(
    seed_page: tuple[str, dict],
) -> None:
    text, data = seed_page
    steps = [str(s) for s in backward_steps(seed.build()["E"])]
    items = re.findall(r'<li id="tg-frame-\d+"><pre>(.*?)</pre></li>', text, re.S)
    backward = [html.unescape(t) for t, f in zip(items, data["frames"]) if f["k"] == "backward"]
    assert backward == steps
    kinds = [f["k"] for f in data["frames"]]
    assert kinds == ["start"] + ["forward"] * 27 + ["seed"] + ["backward"] * 27


def test_the_frames_follow_the_engines_order(seed_page: tuple[str, dict]) -> None:
    _, data = seed_page
    order = topo_order(seed.build()["E"])
    ops = [i for i, v in enumerate(order) if v._op is not None]
    frames = data["frames"]
    assert [f["n"] for f in frames if f["k"] == "forward"] == ops  # topological order
    assert [f["n"] for f in frames if f["k"] == "backward"] == ops[::-1]  # the reverse
    for f in frames:
        if f["k"] in ("forward", "backward"):
            assert f["p"] == [order.index(p) for p in order[f["n"]].parents]


def test_grads_accumulate_to_the_engines_numbers(seed_page: tuple[str, dict]) -> None:
    _, data = seed_page
    final = engine_grads(lambda: seed.build()["E"])
    assert data["grad"] == [fmt(g) for g in final]
    received: dict[int, list[str]] = {}
    last_total: dict[int, str] = {}
    for k, f in enumerate(data["frames"]):
        for i, amount, total in f["c"]:
            received.setdefault(i, []).append(amount)
            last_total[i] = total
            assert data["final"][i] >= k
    assert last_total == {i: fmt(g) for i, g in enumerate(final)}
    names = data["names"]
    h1 = names.index("h1")
    assert received[h1] == ["-0.0233", "-0.0138"]  # the two paths from o2 and o1 meet at h1
    assert data["final"][h1] < [f["n"] for f in data["frames"]].index(h1, 29)


def test_building_the_page_leaves_every_grad_as_it_was() -> None:
    v = seed.build()
    v["E"].backward()
    v["E"].backward()  # leaves hold twice the gradient now
    before = [n.grad for n in topo_order(v["E"])]
    page = backward_page(v["E"])
    assert [n.grad for n in topo_order(v["E"])] == before
    # and the page shows one pass from zero, not the accumulated grads
    assert page_data(page.html)["grad"] == [fmt(g) for g in engine_grads(lambda: seed.build()["E"])]


def test_every_value_carries_its_explanation(seed_page: tuple[str, dict]) -> None:
    _, data = seed_page
    root = seed.build()["E"]
    order = topo_order(root)
    assert len(order) <= EXPLAIN_ALL_UP_TO
    for i in (order.index(v) for v in order if v.label in ("w1", "h1", "E")):
        assert data["explain"][str(i)] == str(explain(root, wrt=order[i]))
    assert len(data["explain"]) == len(order)


def test_the_picture_names_each_value_as_render_does(seed_page: tuple[str, dict]) -> None:
    text, data = seed_page
    titles = set(re.findall(r"<title>(v\d+(?:op)?)</title>", text))
    for i, is_op in enumerate(data["op"]):
        assert f"v{i}" in titles and ((f"v{i}op" in titles) == is_op)
    assert text.count("grad ") >= len(data["op"])  # every record has its grad cell


def test_backward_only_and_a_leaf_root() -> None:
    data = page_data(backward_page(neuron(), forward=False).html)
    assert [f["k"] for f in data["frames"]] == ["start", "seed", "backward", "backward", "backward"]
    leaf = page_data(backward_page(Value(2.0, label="a")).html)
    assert [f["k"] for f in leaf["frames"]] == ["start", "seed"] and leaf["grad"] == ["1.0000"]


def test_a_label_cannot_break_out_of_the_page() -> None:
    a = Value(1.0, label="</script><script>alert(1)</script>")
    b = Value(2.0, label='<b onclick="x">')
    root = a * b
    text = backward_page(root).html
    assert "<script>alert(1)" not in text and "<b onclick" not in text
    assert text.count("<script") == 2  # the data and the page's own script
    assert page_data(text)["names"][0] == "</script><script>alert(1)</script>"


def test_jupyter_shows_the_page_in_an_iframe() -> None:
    page = backward_page(neuron())
    shown = page._repr_html_()
    assert shown.startswith("<iframe") and 'sandbox="allow-scripts"' in shown
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown)
    assert srcdoc and html.unescape(srcdoc.group(1)) == page.html
    assert "backward steps" in repr(page) and "0x" not in repr(page)


def test_save_html(tmp_path: Path) -> None:
    path = save_html(neuron(), tmp_path / "n.html", forward=False)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_large_graph_makes_a_page_within_budget() -> None:
    root = big_graph()
    n = len(topo_order(root))
    assert 1900 < n <= 2000  # the default node cap
    page = backward_page(root)
    data = page_data(page.html)
    assert len(page.html.encode("utf-8")) < 6_000_000
    assert 1 <= len(data["explain"]) < n  # the root and the labelled Values nearest it
    assert str(n - 1) in data["explain"]
    assert data["grad"] == [fmt(g) for g in engine_grads(big_graph)]
    with pytest.raises(GraphTooLargeError):
        backward_page(root, max_nodes=100)


# ---------------------------------------------------------------- tracegrad step
def test_cli_step_example_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "seed.html"
    assert main(["step", "--example", "seed", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out} (") and "27 backward steps" in said
    data = page_data(out.read_text(encoding="utf-8"))
    # the sheet's network is the seed network: the same final gradients by name
    by_name = dict(zip(data["names"], data["grad"]))
    s = seed.solved()
    for name in ("w1", "w5", "b1", "h1", "o1", "E"):
        assert by_name[name] == fmt(s[name].grad)


def test_cli_step_expression_and_sheet(tmp_path: Path) -> None:
    out = tmp_path / "e.html"
    assert main(["step", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10", "-o", str(out)]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    assert dict(zip(data["names"], data["grad"]))["a"] == "-0.0040"
    sheet = tmp_path / "sheet.html"
    assert main(["step", "--sheet", str(examples.path("expression")), "-o", str(sheet)]) == 0
    assert "dg/dx" in sheet.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["step", "-o", "x.html"], "give one of"),
        (["step", "a*b", "--example", "seed", "-o", "x.html"], "give one of"),
        (["step", "--example", "nope", "-o", "x.html"], "no example named 'nope'"),
        (["step", "--example", "s", "-o", "x.html"], "no example named 's'"),  # ambiguous
        (["step", "--example", "seed", "-o", "x.svg"], "must end in .html"),
        (["step", "--example", "seed", "--step", "2", "-o", "x.html"], "steps 1 to 1"),
        (["step", "--example", "seed", "--set", "a=1", "-o", "x.html"], "--set goes with"),
        (["step", "--sheet", "missing.toml", "-o", "x.html"], "missing.toml"),
        (["step", "a*", "-o", "x.html"], "a*"),
        (["step", "a*b", "--set", "a=1", "-o", "x.html"], "'b'"),
        (["step", "--example", "seed", "--max-nodes", "10", "-o", "x.html"], "raise --max-nodes"),
        (["step", "--example", "seed", "--max-nodes", "9999", "-o", "x.html"], "from 1 to 5000"),
        (["step", "--example", "seed", "-o", "no/such/dir/x.html"], "no folder 'no/such/dir'"),
    ],
)
def test_cli_step_bad_input_is_one_line_and_exit_2(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracegrad step: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_examples_by_the_start_of_their_name() -> None:
    assert examples.path("seed") == examples.path("seed_article.toml")
    with pytest.raises(KeyError):
        examples.path("s")  # seed_article and student_wrong
    with pytest.raises(KeyError):
        examples.path("")


def test_the_seed_pages_size_is_what_the_docs_say(tmp_path: Path) -> None:
    """README and the page's tutorial give the seed page's size: within a tenth of it."""
    out = tmp_path / "seed.html"
    assert main(["step", "--example", "seed", "-o", str(out)]) == 0
    size_kb = out.stat().st_size / 1024
    root = Path(__file__).resolve().parents[1]
    for doc in ("README.md", "docs/tutorials/the-page.md"):
        text = (root / doc).read_text(encoding="utf-8")
        said = re.search(r"step --example seed -o seed\.html .*\(about (\d+) KB\)", text)
        assert said, doc
        assert abs(size_kb - int(said.group(1))) <= 0.1 * int(said.group(1)), (doc, size_kb)
