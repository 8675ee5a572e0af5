"""The map views (kg.views.maps): the demo's default page (the overview), the paper map, filters, regions.

The demo corpus (kg/data/demo) is built once for the module (about 10 s). Positions, communities and labels
are read from the page's `paperkg-data` JSON; label boxes are measured in a real headless Chromium.
"""
from __future__ import annotations

import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path

import networkx as nx
import pytest
from browser import nodes_under, open_page
from test_view_html import EVIL, fixture_graph

from kg.views import write_html, write_view
from kg.views.labels import label_box
from kg.views.maps import paper_counts, short_name
from kg.views.select import node_label
from kg.views.page import read_page_data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo() -> nx.MultiDiGraph:
    from kg.build import build_graph, demo_corpus

    g, _ = build_graph([demo_corpus()])
    return g


@pytest.fixture(scope="module")
def overview(demo: nx.MultiDiGraph, tmp_path_factory: pytest.TempPathFactory):
    """The page `kg build` writes as graph.html (write_html's default), its ViewInfo and its data."""
    path = tmp_path_factory.mktemp("overview") / "graph.html"
    info = write_html(demo, path, graph_dir="exports")
    return path, info, read_page_data(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def papers_map(demo: nx.MultiDiGraph, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("papers-map") / "papers.html"
    info = write_view(demo, path, kind="papers-map")
    return path, info, read_page_data(path.read_text(encoding="utf-8"))


def _silhouette(data: dict) -> float:
    from sklearn.metrics import silhouette_score

    xy = [(n["x"], n["y"]) for n in data["nodes"]]
    return float(silhouette_score(xy, [n["community"] for n in data["nodes"]]))


def _open(chromium, path: Path):
    page, log = open_page(chromium, path)
    page.wait_for_function("window.paperkgDrawn === true && window.paperkgReady === true", timeout=30_000)
    return page, log


def _text(page, selector: str) -> str:
    """An element's text as written (inner_text would apply the CSS uppercase of headings)."""
    return page.evaluate(f"document.querySelector({selector!r}).textContent")


def _overlapping(boxes: list[dict]) -> list[tuple]:
    return [(a.get("id"), b.get("id")) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


# --- the overview: static checks on its data ----------------------------------------------------------

def test_overview_draws_concepts_of_two_or_more_papers(demo: nx.MultiDiGraph, overview) -> None:
    _, info, data = overview
    counts = paper_counts(demo)
    shared = {n for n, c in counts.items() if c >= 2}
    assert 100 < len(shared) < info.nodes_total + 1 and info.nodes_left_out == 0
    assert {n["id"] for n in data["nodes"]} == shared  # every shared concept, and no single-paper one
    for n in data["nodes"]:
        assert n["kind"] == "Concept" and n["type"] == demo.nodes[n["id"]]["type"]
        assert n["papers"] == counts[n["id"]] >= 2
        assert set(n) >= {"id", "label", "kind", "type", "community", "x", "y", "size", "papers"}
    assert data["kind"] == "overview"
    sizes = {n["id"]: n["size"] for n in data["nodes"]}
    big = max(data["nodes"], key=lambda n: n["papers"])
    assert sizes[big["id"]] == max(sizes.values())  # sized by papers
    drawn = {n["id"] for n in data["nodes"]}
    for e in data["edges"]:
        assert e["relation"] == "coOccurs" and e["source"] in drawn and e["target"] in drawn
    # single-paper concepts are folded into their papers' panels: the page knows them and their links
    catalog = {c["id"] for c in data["catalog"]}
    single = next(n for n, c in sorted(counts.items()) if c == 1)
    assert single in catalog and single not in drawn


def test_overview_communities_are_named_regions(demo: nx.MultiDiGraph, overview) -> None:
    _, _, data = overview
    communities = data["communities"]
    assert len(communities) >= 3
    members = Counter(n["community"] for n in data["nodes"])
    for c in communities:  # named by its top concepts, the one of most papers first
        assert c["size"] == members[c["id"]] and c["label"]
        mine = [n for n in data["nodes"] if n["community"] == c["id"]]
        best = max(n["papers"] for n in mine)
        firsts = {short_name(node_label(n["id"], demo.nodes[n["id"]])) for n in mine if n["papers"] == best}
        assert c["label"].split(" · ")[0] in firsts
    score = _silhouette(data)
    print(f"overview silhouette of positions by community: {score:.3f} ({len(communities)} communities)")
    assert score >= 0.3
    assert data["titles"] and {t["id"] for t in data["titles"]} <= {c["id"] for c in communities}


def test_overview_is_deterministic(demo: nx.MultiDiGraph, overview, tmp_path: Path) -> None:
    path, _, _ = overview
    again = tmp_path / "again.html"
    write_html(demo, again, graph_dir="exports")
    assert again.read_bytes() == path.read_bytes()


def test_min_papers_one_draws_every_concept(tmp_path: Path) -> None:
    g = fixture_graph()
    write_view(g, tmp_path / "a.html")
    default = read_page_data((tmp_path / "a.html").read_text(encoding="utf-8"))
    # papers are counted from the links (self-attention's paper_count attribute says 2, one paper links it)
    assert {n["id"] for n in default["nodes"]} == {"concept/model/transformer"}
    from kg.views.html import render_view
    from kg.views.maps import overview_view

    page, info = render_view(overview_view(g, min_papers=1))
    assert info.nodes_shown == sum(1 for _, d in g.nodes(data=True) if d["kind"] == "Concept")
    with pytest.raises(ValueError):
        overview_view(g, min_papers=0)


# --- the overview in a browser ------------------------------------------------------------------------

def test_overview_labels_do_not_overlap(chromium, overview) -> None:
    path, _, data = overview
    page, log = _open(chromium, path)
    try:
        labels = page.evaluate("paperkg.labelBoxes()")
        titles = page.evaluate("paperkg.titleBoxes()")
        chosen = [n for n in data["nodes"] if n.get("drawLabel") is not False]
        assert len(labels) == len(chosen) >= len(data["communities"])
        labelled = {n["community"] for n in chosen}
        assert labelled >= {c["id"] for c in data["communities"]}  # every region has its main concepts named
        assert len(titles) == len(data["titles"]) >= len(data["communities"]) - 1
        assert _overlapping(labels + titles) == []
        # the Python estimate (which chose the labels) contains each box the browser drew
        by_id = {n["id"]: n for n in data["nodes"]}
        font = data["options"]["nodes"]["font"]["size"]
        for box in labels:
            n = by_id[box["id"]]
            est = label_box(n["x"], n["y"], n["size"], n["label"], font)
            a = page.evaluate(f"network.canvasToDOM({{x: {est[0]}, y: {est[1]}}})")
            b = page.evaluate(f"network.canvasToDOM({{x: {est[2]}, y: {est[3]}}})")
            assert a["x"] - 0.5 <= box["left"] and box["right"] <= b["x"] + 0.5, (box, a, b)
            assert a["y"] - 0.5 <= box["top"] and box["bottom"] <= b["y"] + 0.5, (box, a, b)
        # readable at the initial zoom: labels are at least 9 px high on screen
        assert min(b["bottom"] - b["top"] for b in labels) >= 9
        assert page.evaluate("network.physics.options.enabled") is False  # positions as computed
        assert log.errors == [] and log.requests == [log.url]
    finally:
        page.context.close()


def test_region_name_and_concept_open_their_papers(chromium, overview) -> None:
    path, _, data = overview
    page, log = _open(chromium, path)
    try:
        title = page.evaluate("paperkg.titleBoxes()")[0]
        box = page.locator("#mynetwork canvas").bounding_box()
        page.mouse.click(box["x"] + (title["left"] + title["right"]) / 2, box["y"] + (title["top"] + title["bottom"]) / 2)
        assert page.evaluate("window.paperkgCommunity") == title["id"]
        panel = _text(page, "#panel")
        members = sum(1 for n in data["nodes"] if n["community"] == title["id"])
        assert f"Concepts ({members})" in panel and "Papers (" in panel
        assert page.inner_text("#panel h2") == next(c["label"] for c in data["communities"] if c["id"] == title["id"])
        # a concept of the region: its papers, each a link to the paper's panel (papers are not drawn)
        top = max((n for n in data["nodes"] if n["community"] == title["id"]), key=lambda n: n["papers"])
        page.evaluate(f"paperkg.focus({top['id']!r}, false)")
        assert f"Papers ({top['papers']})" in _text(page, "#panel")
        page.locator("#panel .node-link.not-drawn").first.click()
        assert _text(page, "#panel .kicker").strip().startswith("Paper")
        assert "Links (" in _text(page, "#panel")  # with every concept, single-paper ones included
        assert log.errors == [] and log.requests == [log.url]
    finally:
        page.context.close()


# --- filters ------------------------------------------------------------------------------------------

def test_filters_update_view_and_counts(chromium, tmp_path: Path) -> None:
    g = fixture_graph()
    for u, v, k, d in g.edges(keys=True, data=True):
        if k == "evaluatesOn":
            d["confidence"] = 0.4  # WMT 2014 and GLUE are named only by weak links
    path = tmp_path / "papers.html"
    write_view(g, path, kind="papers")
    data = read_page_data(path.read_text(encoding="utf-8"))
    total_nodes, total_edges = len(data["nodes"]), len(data["edges"])
    page, log = _open(chromium, path)

    def hidden() -> set[str]:
        return set(page.evaluate("nodes.get({filter: n => n.hidden === true}).map(n => n.id)"))

    def count(key: str) -> str:
        return page.inner_text(f'#legend [data-key="{key}"] .count')

    try:
        assert page.is_visible("#filters") and hidden() == set()
        assert count("Dataset") == "2" and count("evaluatesOn") == "2"
        page.locator("#f-confidence").fill("0.5")
        assert page.inner_text("#f-confidence-value") == "0.50"
        assert hidden() == {"concept/dataset/wmt-2014", "concept/dataset/glue"}
        assert count("Dataset") == "0" and count("evaluatesOn") == "0" and count("uses") != "0"
        shown = page.evaluate("window.paperkgShown")
        assert shown["nodes"] == total_nodes - 2 and shown["edges"] == total_edges - 2
        assert f"{total_nodes - 2} of {total_nodes} nodes" in page.inner_text("#summary")
        page.click("#f-reset")
        assert hidden() == set() and count("Dataset") == "2"
        assert page.inner_text("#summary") == f"{total_nodes} nodes · {total_edges} edges"

        # years: 2017 only keeps the Transformer paper, its concepts, and what has no date
        page.fill("#f-year-from", "2017")
        page.fill("#f-year-to", "2017")
        page.dispatch_event("#f-year-to", "change")
        gone = hidden()
        assert {"paper/arxiv-1810.04805", EVIL, "concept/dataset/glue", "concept/model/bert"} <= gone
        assert "paper/arxiv-1706.03762" not in gone and "concept/model/transformer" not in gone
        assert "repo/github.com/tensorflow/tensor2tensor" not in gone  # no date: kept
        assert count("Paper") == "1"
        # node types through the legend combine with the filters
        page.click('#legend [data-key="Model"]')
        assert "concept/model/transformer" in hidden()
        page.click('#legend [data-key="Model"]')
        page.click("#f-reset")
        assert hidden() == set()
        assert log.errors == [] and log.requests == [log.url]
    finally:
        page.context.close()


def test_overview_filters_by_confidence(chromium, overview) -> None:
    path, _, data = overview
    page, log = _open(chromium, path)
    try:
        assert not page.is_visible("#f-year-from")  # the demo's dates have no year ("Mar 14")
        expected = sum(1 for n in data["nodes"] if n.get("conf", 1) >= 0.9)
        assert 0 < expected < len(data["nodes"])
        page.locator("#f-confidence").fill("0.9")
        assert page.evaluate("window.paperkgShown.nodes") == expected
        assert log.errors == []
    finally:
        page.context.close()


# --- the paper map ------------------------------------------------------------------------------------

def test_paper_map(chromium, demo: nx.MultiDiGraph, papers_map) -> None:
    path, info, data = papers_map
    papers = {n for n, d in demo.nodes(data=True) if d["kind"] == "Paper"}
    assert {n["id"] for n in data["nodes"]} == papers and info.kind == "papers-map"
    assert data["edges"] and {e["relation"] for e in data["edges"]} == {"relatedTo"}
    for e in data["edges"]:
        assert demo.has_edge(e["source"], e["target"], "relatedTo") or demo.has_edge(e["target"], e["source"], "relatedTo")
    concepts = {n["id"]: n["size"] for n in data["nodes"]}
    assert len(set(concepts.values())) > 3  # sized by their number of concepts
    assert len(data["communities"]) >= 3 and all(c["label"] for c in data["communities"])
    score = _silhouette(data)
    print(f"paper map silhouette: {score:.3f}")
    assert score >= 0.3
    page, log = _open(chromium, path)
    try:
        assert _overlapping(page.evaluate("paperkg.labelBoxes()") + page.evaluate("paperkg.titleBoxes()")) == []
        degree = Counter(x for e in data["edges"] for x in (e["source"], e["target"]))
        box = page.locator("#mynetwork canvas").bounding_box()
        for paper in sorted(data["nodes"], key=lambda n: (-degree[n["id"]], n["id"])):
            dom = page.evaluate(f"network.canvasToDOM(network.getPositions([{paper['id']!r}])[{paper['id']!r}])")
            if page.evaluate(f"network.getNodeAt({{x: {dom['x']}, y: {dom['y']}}})") == paper["id"]:
                break  # the best-linked paper not covered by a neighbour at this zoom
        page.mouse.click(box["x"] + dom["x"], box["y"] + dom["y"])
        assert page.evaluate("network.getSelectedNodes()") == [paper["id"]]
        panel = _text(page, "#panel")
        related = sorted(demo.successors(paper["id"]), key=str)
        related = [v for v in related if demo.has_edge(paper["id"], v, "relatedTo")]
        assert f"Related papers ({len(related)})" in panel
        reasons = demo[paper["id"]][related[0]]["relatedTo"]["reasons"]
        assert reasons and reasons[0] in panel  # each related paper with why
        assert log.errors == [] and log.requests == [log.url]
    finally:
        page.context.close()


# --- packaging ----------------------------------------------------------------------------------------

def test_vendored_vis_network_ships_with_its_licences() -> None:
    vendor = resources.files("kg.views").joinpath("static", "vendor", "vis-network")
    for name in ("vis-network.min.js", "LICENSE-MIT", "LICENSE-APACHE-2.0", "VERSION"):
        assert vendor.joinpath(name).is_file(), name
    assert "9.1.2" in vendor.joinpath("VERSION").read_text() and "@version 9.1.2" in \
        vendor.joinpath("vis-network.min.js").read_text()[:400]
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kg.views"]
    assert {"templates/*.j2", "static/*.css", "static/*.js", "static/vendor/*/*"} <= set(data)


# --- a large map: communities as nodes, drill-down ----------------------------------------------------

def test_large_map_opens_as_communities_and_drills_down(chromium, demo: nx.MultiDiGraph, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.views import html as html_module

    monkeypatch.setattr(html_module, "AGGREGATE_MIN_NODES", 100)  # the demo's 400 concepts stand for a large map
    path = tmp_path / "large.html"
    write_html(demo, path)
    data = read_page_data(path.read_text(encoding="utf-8"))
    assert data["aggregate"] is True and data["communityEdges"]
    communities = data["communities"]
    page, log = _open(chromium, path)
    try:
        assert page.evaluate("nodes.getIds()") == [f"community:{c['id']}" for c in communities]
        assert page.evaluate("edges.length") == len(data["communityEdges"])
        # The legend floats over the canvas; the fitted map keeps every node clear of it, so each can be clicked.
        assert nodes_under(page) == []
        first = communities[0]
        box = page.locator("#mynetwork canvas").bounding_box()
        dom = page.evaluate(f"network.canvasToDOM(network.getPositions(['community:{first['id']}'])['community:{first['id']}'])")
        page.mouse.click(box["x"] + dom["x"], box["y"] + dom["y"])
        members = sorted(n["id"] for n in data["nodes"] if n["community"] == first["id"])
        assert sorted(page.evaluate("nodes.getIds()")) == members and len(members) == first["size"]
        assert page.evaluate("edges.length") == sum(1 for e in data["edges"] if e["source"] in members
                                                    and e["target"] in members)
        assert page.is_visible("#back") and f"Concepts ({first['size']})" in _text(page, "#panel")
        page.click("#back")
        assert len(page.evaluate("nodes.getIds()")) == len(communities) and not page.is_visible("#back")
        # search reaches a concept of another community: the page opens that community and selects it
        other = next(n for n in data["nodes"] if n["community"] == communities[1]["id"])
        page.fill("#search", other["label"])
        page.keyboard.press("Enter")
        assert page.evaluate("network.getSelectedNodes()") == [other["id"]]
        assert other["id"] in page.evaluate("nodes.getIds()")
        assert log.errors == [] and log.requests == [log.url]
    finally:
        page.context.close()


# --- a large page: what it leaves out ------------------------------------------------------------------

def test_large_page_leaves_evidence_out(chromium, demo: nx.MultiDiGraph, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Above DETAIL_MAX_LINKS links the page carries no evidence sentence and no abstract of a paper it does
    not draw (issue 17: they were most of a 100k-paper page), and its panels say so and what shows them."""
    from kg.views import html
    from kg.views.html import link_records

    write_html(demo, tmp_path / "small.html", graph_dir="exports")
    small = read_page_data((tmp_path / "small.html").read_text(encoding="utf-8"))
    assert any("e" in l for l in link_records(small)) and small["detailNote"] == ""
    monkeypatch.setattr(html, "DETAIL_MAX_LINKS", 10)
    path = tmp_path / "large.html"
    write_html(demo, path, graph_dir="exports")
    data = read_page_data(path.read_text(encoding="utf-8"))
    assert not {"e", "m", "s"} & set(data["links"]) and not any("abstract" in c for c in data["catalog"])
    # the same links otherwise, and the same drawing
    strip = lambda rows: [{k: v for k, v in l.items() if k not in ("e", "m", "s")} for l in rows]
    assert strip(link_records(data)) == strip(link_records(small))
    assert data["nodes"] == small["nodes"] and data["edges"] == small["edges"]
    assert "kg view --graph exports --around NAME" in data["detailNote"]
    page, log = _open(chromium, path)
    try:
        top = max(data["nodes"], key=lambda n: n["papers"])
        page.evaluate(f"paperkg.focus({top['id']!r}, false)")
        assert f"Papers ({top['papers']})" in _text(page, "#panel") and "Evidence sentences" in _text(page, "#panel")
        assert page.locator("#panel blockquote.evidence").count() == 0
        page.locator("#panel .node-link.not-drawn").first.click()
        assert _text(page, "#panel .kicker").strip().startswith("Paper") and "Links (" in _text(page, "#panel")
        assert page.locator("#panel .abstract").count() == 0
        assert log.errors == [] and log.requests == [log.url]
    finally:
        page.context.close()
