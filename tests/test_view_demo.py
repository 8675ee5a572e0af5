"""The demo graph's views in a real headless Chromium: counts, search, panel, legend, hostile text, offline.

The demo corpus (kg/data/demo, 482 papers) is built once for the module (about 10 s), plus one hostile
paper whose title is `<img src=x onerror="window.pwned=1">`.
"""
from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest
from browser import open_page

from kg.views import DEFAULT_MAX_NODES, write_html, write_view

EVIL = "paper/t-evil-demo"
EVIL_TITLE = '<img src=x onerror="window.pwned=1">'
EVIL_ABSTRACT = ("We evaluate on ImageNet. </script><script>window.pwned=2</script> and "
                 "<iframe src=javascript:window.pwned=3></iframe> <a href=javascript:alert(1)>x</a>")
EVIL_EVIDENCE = "We evaluate on ImageNet <svg onload=window.pwned=4>."
IMAGENET = "concept/dataset/imagenet"


@pytest.fixture(scope="module")
def demo() -> nx.MultiDiGraph:
    """The demo graph (kg build --demo) with one hostile paper linked to ImageNet."""
    from kg.build import build_graph, demo_corpus

    g, _ = build_graph([demo_corpus()])
    assert IMAGENET in g
    g.add_node(EVIL, kind="Paper", title=EVIL_TITLE, abstract=EVIL_ABSTRACT, url="javascript:window.pwned=5",
               authors=["<b>Mallory</b>"], date="2024-01-01", arxiv_id=None, categories=[], sources=["evil:1"])
    g.add_edge(EVIL, IMAGENET, key="evaluatesOn", relation="evaluatesOn", role="used", confidence=0.9,
               mentions=[[len(EVIL_TITLE) + 16, len(EVIL_TITLE) + 24, "ImageNet"]],
               evidence={"start": len(EVIL_TITLE) + 1, "end": len(EVIL_TITLE) + 1 + len(EVIL_EVIDENCE),
                         "text": EVIL_EVIDENCE}, extractor="test")
    return g


@pytest.fixture(scope="module")
def demo_view(demo: nx.MultiDiGraph, tmp_path_factory: pytest.TempPathFactory):
    """The papers view of the demo graph (every paper, concept and repository), and its ViewInfo."""
    path = tmp_path_factory.mktemp("demo-view") / "graph.html"
    # every node (the demo graph may outgrow the default cap as extraction changes; the cap has its own test)
    return path, write_html(demo, path, max_nodes=max(DEFAULT_MAX_NODES, demo.number_of_nodes()), graph_dir="exports",
                            kind="papers")


def _open(chromium, path: Path):
    page, log = open_page(chromium, path)
    page.wait_for_function("window.paperkgDrawn === true && window.paperkgReady === true", timeout=30_000)
    return page, log


def _clean(text: str) -> str:
    return " ".join(text.split())


def test_demo_view_counts_offline_no_errors(chromium, demo, demo_view) -> None:
    path, info = demo_view
    assert info.nodes_shown == demo.number_of_nodes() and info.nodes_left_out == 0
    assert info.edges_shown == demo.number_of_edges()
    page, log = _open(chromium, path)
    try:
        assert page.evaluate("nodes.length") == demo.number_of_nodes()
        assert page.evaluate("network.body.nodeIndices.length") == demo.number_of_nodes()
        assert page.evaluate("paperkg.edgeCount") == demo.number_of_edges()
        assert page.evaluate("paperkg.canvasEdges") is True  # 5,000+ edges: drawn in one pass per relation
        assert f"{demo.number_of_nodes():,} nodes · {demo.number_of_edges():,} edges" in page.inner_text("header")
        papers = sum(1 for _, d in demo.nodes(data=True) if d["kind"] == "Paper")
        assert page.inner_text('#legend [data-key="Paper"] .count') == f"{papers:,}"
        assert page.evaluate("network.physics.options.enabled") is False  # pre-computed positions
        times = page.evaluate("window.paperkgTimes")
        print(f"demo view ({info.nodes_shown} nodes): first draw {times['drawn']:.0f} ms after navigation")
        assert log.errors == []
        assert log.foreign_requests == []
        assert log.requests == [log.url]
    finally:
        page.context.close()


def test_search_suggests_and_focuses(chromium, demo, demo_view) -> None:
    page, log = _open(chromium, demo_view[0])
    try:
        page.click("#search")
        page.keyboard.type("imagenet")
        page.wait_for_selector("#suggestions li", state="visible")
        suggestions = page.locator("#suggestions li .name").all_inner_texts()
        assert suggestions[0] == "ImageNet" and len(suggestions) > 3  # exact match first, then prefixes
        assert all("imagenet" in s.lower() for s in suggestions)
        page.keyboard.press("Enter")
        page.wait_for_function(f"network.getSelectedNodes()[0] === {IMAGENET!r}")
        assert page.is_hidden("#suggestions")
        # the view moves to ImageNet and its neighbours, beside the side panel, once the animation ends
        inside = """(ids) => {
            const c = document.getElementById("mynetwork"), left = document.getElementById("panel").offsetWidth;
            const pos = network.getPositions(ids);
            return ids.every(id => { const p = network.canvasToDOM(pos[id]);
                return p.x > left && p.x < c.clientWidth && p.y > 0 && p.y < c.clientHeight; });
        }"""
        neighbours = sorted({IMAGENET} | set(demo.predecessors(IMAGENET)) | set(demo.successors(IMAGENET)))
        page.wait_for_function(inside, arg=neighbours, timeout=10_000)
        assert page.inner_text("#panel h2") == "ImageNet"
        assert page.inner_text("#panel .kicker").strip().lower() == "dataset"
        # the neighbourhood is highlighted: the selected node's edges are live vis-network edges
        assert page.evaluate("edges.length") == page.evaluate(f"network.getConnectedEdges({IMAGENET!r}).length") > 0
        # an alias finds its concept too, and a title substring finds a paper
        assert page.evaluate("paperkg.search('imagenet-1k', 1)") == ["concept/dataset/imagenet-1k"]
        assert page.evaluate("paperkg.search('a case study on global magnitude', 3)") == ["paper/t-9c8a818dcfb65e09"]
        assert page.evaluate("paperkg.search('no such thing at all', 5)") == []
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


def test_click_opens_panel_with_evidence(chromium, demo, demo_view) -> None:
    page, log = _open(chromium, demo_view[0])
    try:
        # a paper with evidenced links that nothing covers once it is centred and the focus cleared
        # (the state it is clicked in), neither another node nor the page's controls over the canvas
        candidates = sorted(n for n, d in demo.nodes(data=True) if d["kind"] == "Paper" and n != EVIL
                            and any((e.get("evidence") or {}).get("text") for _, _, e in demo.out_edges(n, data=True)))
        paper = page.evaluate("""(ids) => {
            for (const id of ids) {
                paperkg.focus(id, false);
                paperkg.clear();
                const p = network.canvasToDOM(network.getPositions([id])[id]);
                const canvas = document.querySelector("#mynetwork canvas");
                const box = canvas.getBoundingClientRect();
                if (network.getNodeAt(p) === id && document.elementFromPoint(box.x + p.x, box.y + p.y) === canvas)
                    return id;
            }
            return null;
        }""", candidates[:200])
        assert paper is not None
        page.evaluate(f"paperkg.focus({paper!r}, false)")
        page.evaluate("paperkg.clear()")
        assert page.is_hidden("#panel")
        box = page.locator("#mynetwork canvas").bounding_box()
        dom = page.evaluate(f"network.canvasToDOM(network.getPositions([{paper!r}])[{paper!r}])")
        page.mouse.click(box["x"] + dom["x"], box["y"] + dom["y"])
        page.wait_for_function(f"network.getSelectedNodes()[0] === {paper!r}")
        assert page.is_visible("#panel")
        attrs = demo.nodes[paper]
        assert page.inner_text("#panel h2") == _clean(attrs["title"])
        panel = _clean(page.inner_text("#panel"))
        assert _clean(attrs["abstract"]) in panel
        if attrs.get("date"):
            assert attrs["date"] in panel
        linked = [(k, v, d) for _, v, k, d in demo.out_edges(paper, keys=True, data=True)
                  if demo.nodes[v]["kind"] == "Concept"]
        assert f"links ({len(linked)})" in panel.lower()  # (the heading is upper-cased by CSS)
        for _, concept, d in linked:  # each link: its concept and evidence sentence
            assert _clean(demo.nodes[concept]["label"]) in panel
            if (d.get("evidence") or {}).get("text"):
                assert _clean(d["evidence"]["text"]) in panel
        items = page.locator("#panel li").filter(has=page.locator(".rel"))
        assert items.count() == len(linked)
        first = items.nth(0)
        assert first.locator(".rel").inner_text() in {k for k, _, _ in linked}
        # mentions are marked inside their evidence sentence
        expected = sorted(d["evidence"]["text"][m[0] - d["evidence"]["start"]:m[1] - d["evidence"]["start"]]
                          for _, _, d in linked if (d.get("evidence") or {}).get("text")
                          for m in d.get("mentions") or []
                          if d["evidence"]["start"] <= m[0] < m[1] <= d["evidence"]["end"])
        marks = page.locator("#panel blockquote.evidence mark").all_text_contents()
        assert sorted(marks) == expected
        # code links of the paper, if any, are real links
        for _, repo in [(k, v) for _, v, k in demo.out_edges(paper, keys=True) if k == "codeRepository"]:
            assert page.locator(f'#panel a[href^="{demo.nodes[repo]["url"][:20]}"]').count() >= 1
        # clicking a concept in the panel moves the selection there
        concept = linked[0][1]
        label = re.compile("^" + re.escape(_clean(demo.nodes[concept]["label"])) + "$")
        page.locator("#panel .node-link").filter(has_text=label).first.click()
        page.wait_for_function(f"network.getSelectedNodes()[0] === {concept!r}")
        assert page.inner_text("#panel h2") == _clean(demo.nodes[concept]["label"])
        assert "papers (" in page.inner_text("#panel").lower()
        # background click clears the selection
        page.keyboard.press("Escape")
        assert page.is_hidden("#panel") and page.evaluate("network.getSelectedNodes()") == []
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


def test_panel_lists_related_papers_with_reasons(chromium, demo, demo_view) -> None:
    fedloge = next(n for n, d in demo.nodes(data=True) if d.get("title", "").startswith("FedLoGe:"))
    related = sorted(((d["rank"], v, d) for _, v, k, d in demo.out_edges(fedloge, keys=True, data=True)
                      if k == "relatedTo"), key=lambda x: x[0])
    assert len(related) == 5
    page, log = _open(chromium, demo_view[0])
    try:
        page.evaluate(f"paperkg.focus({fedloge!r}, false)")
        panel = page.locator("#panel")
        assert "related papers (5)" in panel.inner_text().lower()
        items = panel.locator("li.related")
        assert items.count() == 5
        for i, (rank, other, d) in enumerate(related):  # in rank order, each with its score and reasons
            text = _clean(items.nth(i).inner_text())
            assert _clean(demo.nodes[other]["title"]) in text
            assert f"score {d['score']:.2f}" in text
            for reason in d["reasons"]:
                assert _clean(reason) in text
        # one click on a related paper focuses it
        first = related[0][1]
        items.nth(0).locator(".node-link").first.click()
        page.wait_for_function(f"network.getSelectedNodes()[0] === {first!r}")
        assert page.inner_text("#panel h2") == _clean(demo.nodes[first]["title"])
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


_COUNT_PIXELS = """(rgb) => {
    const c = document.querySelector("#mynetwork canvas");
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - rgb[0]) < 3 && Math.abs(data[i + 1] - rgb[1]) < 3 && Math.abs(data[i + 2] - rgb[2]) < 3) n++;
    }
    return n;
}"""


def test_legend_hides_and_shows_a_type(chromium, demo, demo_view) -> None:
    page, log = _open(chromium, demo_view[0])
    try:
        datasets = sorted(n for n, d in demo.nodes(data=True) if d.get("type") == "Dataset")
        dataset_rgb = [0x76, 0xB7, 0xB2]
        page.evaluate(f"network.moveTo({{position: network.getPositions([{IMAGENET!r}])[{IMAGENET!r}], scale: 1}})")
        page.wait_for_timeout(300)
        before = page.evaluate(_COUNT_PIXELS, dataset_rgb)
        assert before > 100  # dataset nodes are drawn in their colour
        row = page.locator('#legend .row[data-filter="group"][data-key="Dataset"]')
        row.click()
        assert row.get_attribute("aria-pressed") == "false"
        hidden = page.evaluate("nodes.get({filter: n => n.kind === 'Dataset'}).map(n => n.hidden === true)")
        assert len(hidden) == len(datasets) and all(hidden)
        visible = set(page.evaluate("network.body.nodeIndices"))
        assert not visible & set(datasets)
        assert len(visible) == demo.number_of_nodes() - len(datasets)
        page.wait_for_timeout(200)
        assert page.evaluate(_COUNT_PIXELS, dataset_rgb) < before / 20  # gone from the canvas
        row.click()
        assert row.get_attribute("aria-pressed") == "true"
        assert len(page.evaluate("network.body.nodeIndices")) == demo.number_of_nodes()
        # a relation row hides those edges; searching a hidden type brings it back
        page.locator('#legend .row[data-key="uses"]').click()
        assert page.evaluate("paperkg.hidden.relation.has('uses')") is True
        row.press("Enter")  # keyboard works too
        assert page.evaluate("paperkg.hidden.group.has('Dataset')") is True
        page.evaluate(f"paperkg.focus({IMAGENET!r}, false)")
        assert page.evaluate("paperkg.hidden.group.has('Dataset')") is False
        assert page.evaluate("network.getSelectedNodes()") == [IMAGENET]
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


def test_hostile_paper_shows_as_text(chromium, demo_view) -> None:
    path, _ = demo_view
    text = path.read_text(encoding="utf-8")
    assert EVIL_TITLE not in text and "<svg" not in text.lower() and "<iframe" not in text.lower()
    page, log = _open(chromium, path)
    try:
        page.click("#search")
        page.keyboard.type("<img src")
        page.wait_for_selector("#suggestions li", state="visible")
        assert page.locator("#suggestions li .name").first.inner_text() == EVIL_TITLE
        page.keyboard.press("Enter")
        page.wait_for_function(f"network.getSelectedNodes()[0] === {EVIL!r}")
        assert page.inner_text("#panel h2") == EVIL_TITLE
        panel = page.inner_text("#panel")
        assert "</script><script>window.pwned=2</script>" in panel and "<iframe" in panel
        assert "<svg onload=window.pwned=4>" in panel and "<b>Mallory</b>" in panel
        assert page.locator("#panel a[href^='javascript']").count() == 0  # the javascript: URL is no link
        page.mouse.move(5, 5)
        page.evaluate(f"paperkg.focus({IMAGENET!r}, false)")  # ImageNet's panel lists the hostile paper
        assert EVIL_TITLE in page.inner_text("#panel")
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.querySelectorAll('img, iframe, svg, #panel script, #panel b').length") == 0
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


def test_capped_view_says_what_is_left_out(chromium, demo, tmp_path: Path) -> None:
    path = tmp_path / "capped.html"
    info = write_html(demo, path, max_nodes=400, graph_dir="out", kind="papers")
    assert info.nodes_shown == 400 and info.nodes_left_out == demo.number_of_nodes() - 400
    page, log = _open(chromium, path)
    try:
        notice = page.inner_text("#left-out")
        assert f"Showing the 400 most connected of {demo.number_of_nodes():,} nodes" in notice
        assert f"{info.nodes_left_out:,} left out" in notice
        assert "kg view --graph out --around NAME" in notice and "--types Dataset,Model" in notice
        for group, n in info.left_out_by_group.items():
            assert f"{group} {n:,}" in notice
        assert page.evaluate("nodes.length") == 400
        # a left-out neighbour is still found, marked "not drawn", and its panel says how to see it
        drawn = set(page.evaluate("nodes.getIds()"))
        catalog = page.evaluate("paperkg.catalog.map(c => c.id)")
        missing = sorted(set(catalog) - drawn)
        assert missing
        label = page.evaluate(f"paperkg.catalog[paperkg.index.get({missing[0]!r})].label")
        page.evaluate(f"paperkg.focus({missing[0]!r})")
        assert page.inner_text("#panel h2") == label
        assert "Not drawn in this view" in page.inner_text("#panel .note")
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()


@pytest.mark.parametrize("kind, around", [("cooccurrence", None), ("ego", "ImageNet"), ("communities", None)])
def test_other_views_in_browser(chromium, demo, tmp_path: Path, kind: str, around: str | None) -> None:
    path = tmp_path / f"{kind}.html"
    info = write_view(demo, path, kind=kind, around=around, depth=1)
    page, log = _open(chromium, path)
    try:
        assert page.evaluate("nodes.length") == info.nodes_shown > 0
        assert page.evaluate("paperkg.edgeCount") == info.edges_shown
        if kind == "ego":
            assert page.evaluate(f"nodes.get({IMAGENET!r}).borderWidth") == 4  # the centre stands out
            assert EVIL in page.evaluate("nodes.getIds()")
            assert info.nodes_shown == 1 + len(set(demo.predecessors(IMAGENET)) | set(demo.successors(IMAGENET)))
        if kind == "cooccurrence":
            assert set(page.evaluate("nodes.get().map(n => n.kind)")) <= {"Method", "Model", "Dataset", "Task", "Metric"}
            page.evaluate(f"paperkg.focus({IMAGENET!r}, false)")
            assert re.search(r"Co-occurs with \(\d+\)", page.inner_text("#panel"), re.I)
        if kind == "communities":
            row = page.locator('#legend .row[data-filter="community"]').first
            n = int(row.locator(".count").inner_text().replace(",", ""))
            row.click()
            assert len(page.evaluate("network.body.nodeIndices")) == info.nodes_shown - n
            assert "community 1: " in _clean(page.evaluate(
                "(() => { const id = nodes.get({filter: n => n.c === 0})[0].id; paperkg.focus(id, false);"
                " return document.querySelector('#panel-body').textContent; })()")).lower()
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()
