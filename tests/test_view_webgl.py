"""The WebGL renderer (sigma.js + graphology, kg/views/static/page-webgl.js): the same data contract as the
vis-network page, offline, XSS-safe, and working in a real headless Chromium on the demo build.

Headless Chromium here has no GPU (tests/browser.py passes --disable-gpu): WebGL runs on SwiftShader, the
software GL, which Chromium only allows as a fallback with --enable-unsafe-swiftshader (tests/browser.py).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from browser import open_page
from kg.cli import app
from kg.views import write_view
from kg.views.html import choose_renderer, render_html, write_html
from kg.views.page import read_page_data
from test_view_html import EVIL_TITLE, _Resources, fixture_graph

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "kg" / "views" / "static" / "vendor"


def test_choose_renderer() -> None:
    # auto stays on the canvas: WebGL is opt-in until it is faster here and has the map's region names
    assert choose_renderer("auto", 20000) == "canvas" and choose_renderer("auto", 10) == "canvas"
    assert choose_renderer("webgl", 3) == "webgl" and choose_renderer("canvas", 10**6) == "canvas"
    with pytest.raises(ValueError, match="renderer"):
        choose_renderer("svg", 10)
    with pytest.raises(ValueError, match="renderer"):
        render_html(fixture_graph(), kind="papers", renderer="svg")
    page, _ = render_html(fixture_graph(), kind="papers")
    assert read_page_data(page)["renderer"] == "canvas" and "new Sigma(" not in page


def test_vendored_sigma_and_graphology_ship_with_their_licences() -> None:
    for name, script, version in (("sigma", "sigma.min.js", "3.0.3"), ("graphology", "graphology.umd.min.js", "0.26.0")):
        folder = VENDOR / name
        assert f"{name} {version}" in (folder / "VERSION").read_text(encoding="utf-8")
        assert "Permission is hereby granted" in (folder / "LICENSE-MIT").read_text(encoding="utf-8")
        text = (folder / script).read_text(encoding="utf-8")
        assert "sourceMappingURL" not in text  # no request for a map that is not shipped


def test_webgl_page_has_the_same_data(tmp_path: Path) -> None:
    g = fixture_graph()
    canvas, _ = render_html(g, kind="papers", renderer="canvas")
    webgl, info = render_html(g, kind="papers", renderer="webgl")
    a, b = read_page_data(canvas), read_page_data(webgl)
    assert a["renderer"] == "canvas" and b["renderer"] == "webgl"
    # the canvas page of a small view lets vis-network stabilise; positions come from Python either way
    strip = lambda nodes: [{k: v for k, v in n.items() if k != "physics"} for n in nodes]  # noqa: E731
    assert strip(a["nodes"]) == strip(b["nodes"]) and a["edges"] == b["edges"] and a["catalog"] == b["catalog"]
    assert len(b["nodes"]) == info.nodes_shown
    assert "new Sigma(" in webgl and "new vis.Network(" not in webgl
    assert "new vis.Network(" in canvas and "new Sigma(" not in canvas
    # deterministic: the same graph gives the same bytes
    assert render_html(g, kind="papers", renderer="webgl")[0] == webgl


def test_webgl_page_escapes_untrusted_text(tmp_path: Path) -> None:
    path = tmp_path / "webgl.html"
    write_html(fixture_graph(), path, kind="papers", title="Test <graph> & co", renderer="webgl")
    page = path.read_text(encoding="utf-8")
    assert EVIL_TITLE not in page and "<img" not in page.lower() and "<b>bold" not in page and "<!--" not in page
    assert page.lower().count("</script") == 4  # graphology, sigma, the data, the drawing code: nothing else
    parser = _Resources()
    parser.feed(page)
    assert [tag for tag, _, _ in parser.urls] == ["link"]  # only the data: favicon
    assert len(parser.scripts) == 4
    data, code = parser.scripts[2], parser.scripts[3]
    assert "\\u003cimg src=x onerror=" in data and "\\u003c/script\\u003e" in data
    assert "onerror" not in code and "pwned" not in code and "innerHTML" not in code
    assert "Test &lt;graph&gt; &amp; co" in page
    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)


@pytest.mark.parametrize("where", ["label", "panel"])
def test_webgl_page_keeps_hostile_text_as_text(chromium, tmp_path: Path, where: str) -> None:  # noqa: F811
    path = tmp_path / "webgl.html"
    write_html(fixture_graph(), path, kind="papers", renderer="webgl")
    page, log = open_page(chromium, path)
    try:
        page.wait_for_function("window.paperkgReady === true && window.paperkgDrawn === true")
        page.evaluate("paperkg.focus('paper/t-evil', false)")
        assert page.inner_text("#panel h2") == EVIL_TITLE
        assert page.evaluate("window.pwned") is None and page.locator("#panel img").count() == 0
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


# --- the demo build, through the CLI, in a real browser ------------------------------------------------

@pytest.fixture(scope="module")
def webgl_demo(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """`kg view --graph DEMO --kind papers --renderer webgl`: the demo's 3,000 most connected nodes."""
    out = tmp_path_factory.mktemp("webgl") / "papers.html"
    result = CliRunner().invoke(app, ["view", "--graph", str(demo), "--kind", "papers", "--renderer", "webgl",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, read_page_data(out.read_text(encoding="utf-8"))


def _viewport(page, node_id: str) -> dict:
    """Where sigma drew a node, in page pixels (sigma's viewport is the #mynetwork element)."""
    return page.evaluate("""id => {
        const p = renderer.framedGraphToViewport(renderer.getNodeDisplayData(id));
        const box = document.getElementById('mynetwork').getBoundingClientRect();
        return {x: p.x + box.left, y: p.y + box.top};
    }""", node_id)


def test_webgl_demo_draws_every_node(chromium, webgl_demo) -> None:  # noqa: F811
    path, data = webgl_demo
    assert data["renderer"] == "webgl" and len(data["nodes"]) == 3000
    page, log = open_page(chromium, path)
    try:
        page.wait_for_function("window.paperkgReady === true && window.paperkgDrawn === true", timeout=60_000)
        drawn = page.evaluate("""() => ({
            order: graph.order, size: graph.size, data: DATA.nodes.length, edges: DATA.edges.length,
            canvases: document.querySelectorAll('#mynetwork canvas').length,
            webgl: renderer.getCanvases().nodes.getContext('webgl2') || renderer.getCanvases().nodes.getContext('webgl'),
            pos: DATA.nodes.slice(0, 50).every(n => graph.getNodeAttribute(n.id, 'x') === n.x &&
                                                      graph.getNodeAttribute(n.id, 'y') === -n.y),
            shown: Object.keys(renderer.nodeDataCache).length,
            labels: renderer.displayedNodeLabels.size,
        })""")
        assert drawn["order"] == drawn["data"] == 3000 and drawn["size"] == drawn["edges"] == len(data["edges"])
        assert drawn["canvases"] >= 2 and drawn["webgl"] is not None  # sigma's WebGL context exists
        assert drawn["pos"] and drawn["shown"] == 3000
        assert 0 < drawn["labels"] < 3000  # labels for the biggest nodes, not for all
        # something was painted: the nodes' WebGL canvas is not blank
        shot = page.screenshot()
        assert len(shot) > 20_000
        assert log.errors == [] and log.foreign_requests == [], (log.errors, log.foreign_requests)
    finally:
        page.context.close()


def test_webgl_demo_click_search_legend(chromium, webgl_demo) -> None:  # noqa: F811
    path, data = webgl_demo
    page, log = open_page(chromium, path)
    try:
        page.wait_for_function("window.paperkgReady === true && window.paperkgDrawn === true", timeout=60_000)
        # hover and click, where sigma drew it, the paper farthest on screen from any other node (so that
        # the pointer is over it alone): the tooltip shows its title, a click opens its panel
        paper_id = page.evaluate("""() => {
            const at = DATA.nodes.map(n => [n, renderer.framedGraphToViewport(renderer.getNodeDisplayData(n.id))]);
            let best = null, far = -1;
            at.forEach(([n, p]) => {
                if (n.kind !== 'Paper' || p.x < 20 || p.y < 20 || p.x > 1000 || p.y > 600) return;
                let near = Infinity;
                at.forEach(([m, q]) => { if (m !== n) near = Math.min(near, Math.hypot(p.x - q.x, p.y - q.y)); });
                if (near > far) { far = near; best = n.id; }
            });
            return best;
        }""")
        paper = next(n for n in data["nodes"] if n["id"] == paper_id)
        p = _viewport(page, paper["id"])
        page.mouse.move(p["x"], p["y"])
        page.wait_for_function("!document.querySelector('.webgl-tooltip').hidden")
        assert page.inner_text(".webgl-tooltip").startswith(paper["label"].rstrip("\u2026"))
        page.mouse.click(p["x"], p["y"])
        page.wait_for_function("id => window.paperkgSelected === id", arg=paper["id"])
        assert page.is_visible("#panel")
        title = page.evaluate("id => paperkg.catalog[paperkg.index.get(id)].label", paper["id"])
        assert page.inner_text("#panel h2") == title
        # a click on empty canvas clears the selection: at the point of sigma's container farthest from any
        # drawn node (a fixed corner can lie under a node or outside the container)
        empty = page.evaluate("""() => {
            const box = renderer.getContainer().getBoundingClientRect();
            const at = DATA.nodes.map(n => renderer.framedGraphToViewport(renderer.getNodeDisplayData(n.id)));
            let best = null, far = -1;
            for (let x = box.left + 10; x < box.right - 10; x += 20) {
                for (let y = box.top + 10; y < box.bottom - 10; y += 20) {
                    // not under the panel, the legend or the search box
                    if (!renderer.getContainer().contains(document.elementFromPoint(x, y))) continue;
                    let near = Infinity;
                    at.forEach(q => { near = Math.min(near, Math.hypot(x - box.left - q.x, y - box.top - q.y)); });
                    if (near > far) { far = near; best = {x, y}; }
                }
            }
            return best;
        }""")
        page.wait_for_timeout(600)  # past sigma's double-click window, so this is a click of its own
        page.mouse.click(empty["x"], empty["y"])
        page.wait_for_function("window.paperkgSelected === null")

        # search: type a concept's label, Enter focuses it (selected, panel open, camera moved to it)
        concept = max((n for n in data["nodes"] if n["kind"] == "Concept"), key=lambda n: (n["size"], n["id"]))
        before = page.evaluate("renderer.getCamera().getState()")
        page.click("#search")
        page.keyboard.type(concept["label"], delay=5)
        page.wait_for_selector("#suggestions li", state="visible")
        page.keyboard.press("Enter")
        page.wait_for_function("id => window.paperkgSelected === id", arg=concept["id"])
        page.wait_for_timeout(500)  # the camera animation
        after = page.evaluate("renderer.getCamera().getState()")
        assert after != before
        q = _viewport(page, concept["id"])
        assert 0 <= q["x"] <= 1280 and 0 <= q["y"] <= 800  # the focused node is on screen

        # legend: hiding Methods hides them in sigma's drawing and updates the counts
        methods = sum(n["type"] == "Method" for n in data["nodes"])
        assert methods > 0
        page.keyboard.press("Escape")
        page.click('#legend .row[data-filter="group"][data-key="Method"]')
        shown = page.evaluate("window.paperkgShown.nodes")
        assert shown == len(data["nodes"]) - methods
        hidden = page.evaluate("""() => DATA.nodes.filter(n => n.type === 'Method')
                                   .every(n => renderer.getNodeDisplayData(n.id).hidden === true)""")
        assert hidden
        page.click('#legend .row[data-filter="group"][data-key="Method"]')
        assert page.evaluate("window.paperkgShown.nodes") == len(data["nodes"])
        assert log.errors == [] and log.foreign_requests == [], (log.errors, log.foreign_requests)
    finally:
        page.context.close()


def test_webgl_overview_of_the_demo(chromium, demo: Path, tmp_path: Path) -> None:  # noqa: F811
    """The default page (the overview map) drawn with WebGL: the map's chosen labels are forced."""
    from kg.views import load_graph

    path = tmp_path / "overview.html"
    info = write_view(load_graph(demo), path, renderer="webgl")
    data = read_page_data(path.read_text(encoding="utf-8"))
    assert data["renderer"] == "webgl" and not data["aggregate"] and info.nodes_shown == len(data["nodes"])
    page, log = open_page(chromium, path)
    try:
        page.wait_for_function("window.paperkgReady === true && window.paperkgDrawn === true", timeout=60_000)
        assert page.evaluate("graph.order") == len(data["nodes"])
        community = next(c["id"] for c in data["communities"])
        page.click(f'#legend .row[data-filter="community"][data-key="{community}"]')
        assert page.evaluate("window.paperkgShown.nodes") == sum(n["community"] != community for n in data["nodes"])
        page.click(f'#legend .row[data-filter="community"][data-key="{community}"]')
        # the confidence filter: the same counts as the canvas page, and sigma stops drawing the rest
        expected = sum(1 for n in data["nodes"] if n.get("conf", 1) >= 0.9)
        assert 0 < expected < len(data["nodes"])
        page.locator("#f-confidence").fill("0.9")
        assert page.evaluate("window.paperkgShown.nodes") == expected
        assert page.evaluate("""() => DATA.nodes.filter(n => !renderer.getNodeDisplayData(n.id).hidden).length""") == expected
        # the map's labels (chosen in Python so that they do not overlap) are forced on
        forced = page.evaluate("DATA.nodes.filter(n => graph.getNodeAttribute(n.id, 'forceLabel')).length")
        assert forced == sum(n.get("drawLabel", True) is not False for n in data["nodes"]) > 0
        assert log.errors == [] and log.foreign_requests == [], (log.errors, log.foreign_requests)
    finally:
        page.context.close()


def test_cli_rejects_an_unknown_renderer(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["view", "--graph", str(tmp_path), "--renderer", "svg"])
    assert result.exit_code == 2 and "auto, canvas, webgl" in result.output
