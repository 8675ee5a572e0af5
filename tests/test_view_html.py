"""kg.views.html: a standalone, offline, deterministic and XSS-safe HTML view of the graph."""
from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest

from browser import nodes_under, open_page
from kg.views.page import read_page_data
from kg.views.html import EDGE_COLORS, NODE_COLORS, ViewInfo, link_records, render_html, write_html

EVIL_TITLE = '<img src=x onerror="window.pwned=1">'
EVIL_ABSTRACT = ("We break pages. </script><script>window.pwned=2</script> Also <b>bold</b> & "
                 "<!-- comments --> and \u2028 line separators.")
EVIL = "paper/t-evil"


def _paper(g: nx.MultiDiGraph, pid: str, title: str, abstract: str, date: str, **extra) -> str:
    key = f"paper/{pid}"
    g.add_node(key, kind="Paper", title=title, abstract=abstract, url=f"https://arxiv.org/abs/{pid}",
               authors=extra.pop("authors", ["Ada Lovelace", "Alan Turing"]), date=date,
               arxiv_id=extra.pop("arxiv_id", None), categories=["cs.CL"], sources=["papers.jsonl:1"], **extra)
    return key


def _concept(g: nx.MultiDiGraph, type_: str, slug: str, label: str, count: int = 1) -> str:
    key = f"concept/{type_.lower()}/{slug}"
    g.add_node(key, kind="Concept", type=type_, label=label, aliases=sorted({label, label.upper()}),
               paper_count=count)
    return key


def _link(g: nx.MultiDiGraph, paper: str, concept: str, relation: str, role: str) -> None:
    g.add_edge(paper, concept, key=relation, relation=relation, role=role, confidence=0.9,
               mentions=[[0, 4, "text"]], evidence={"start": 0, "end": 20, "text": "Evidence sentence."},
               extractor="paperkg-extract/0.1.0")


def fixture_graph() -> nx.MultiDiGraph:
    """Three papers (one hostile), concepts of every type, a code repository, every relation."""
    g = nx.MultiDiGraph(name="paperkg", extractor="paperkg-extract/0.1.0")
    attn = _paper(g, "arxiv-1706.03762", "Attention Is All You Need",
                  "The dominant sequence transduction models are based on complex recurrent or convolutional "
                  "neural networks. We propose a new simple network architecture, the Transformer, based "
                  "solely on attention mechanisms. " * 3, "2017-06-12", arxiv_id="1706.03762")
    bert = _paper(g, "arxiv-1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for "
                  "Language Understanding", "We introduce BERT, evaluated on GLUE and SQuAD.", "2018-10-11",
                  arxiv_id="1810.04805", authors=["J. Devlin", "M. Chang", "K. Lee", "K. Toutanova"])
    evil = _paper(g, "t-evil", EVIL_TITLE, EVIL_ABSTRACT, "2024-01-01")
    transformer = _concept(g, "Model", "transformer", "Transformer", 3)
    attention = _concept(g, "Method", "self-attention", "self-attention", 2)
    wmt = _concept(g, "Dataset", "wmt-2014", "WMT 2014", 1)
    glue = _concept(g, "Dataset", "glue", "GLUE", 1)
    mt = _concept(g, "Task", "machine-translation", "machine translation", 1)
    bleu = _concept(g, "Metric", "bleu", "BLEU", 1)
    bert_model = _concept(g, "Model", "bert", "BERT", 1)
    rnn = _concept(g, "Model", "rnn", "RNN", 1)
    evil_concept = _concept(g, "Method", "evil", "</script><script>window.pwned=3</script>", 1)
    _link(g, attn, transformer, "proposes", "proposed")
    _link(g, attn, attention, "uses", "used")
    _link(g, attn, wmt, "evaluatesOn", "used")
    _link(g, attn, mt, "addresses", "used")
    _link(g, attn, bleu, "mentions", "mentioned")
    _link(g, attn, rnn, "comparesWith", "compared")
    _link(g, bert, bert_model, "proposes", "proposed")
    _link(g, bert, transformer, "uses", "used")
    _link(g, bert, transformer, "mentions", "mentioned")  # parallel edge, another relation
    _link(g, bert, glue, "evaluatesOn", "used")
    _link(g, evil, transformer, "uses", "used")
    _link(g, evil, evil_concept, "proposes", "proposed")
    repo = "repo/github.com/tensorflow/tensor2tensor"
    g.add_node(repo, kind="CodeRepository", url="https://github.com/tensorflow/tensor2tensor")
    g.add_edge(attn, repo, key="codeRepository", relation="codeRepository")
    g.add_edge(attn, bert, key="relatedTo", relation="relatedTo", score=1.0, rank=1,
               reasons=["both use Transformer"])
    return g


@pytest.fixture
def graph() -> nx.MultiDiGraph:
    return fixture_graph()


@pytest.fixture
def view(graph: nx.MultiDiGraph, tmp_path: Path) -> tuple[Path, ViewInfo]:
    path = tmp_path / "graph.html"
    return path, write_html(graph, path, title="Test <graph> & co", kind="papers")


def page_data(page: str) -> dict:
    """The JSON the page embeds in <script type="application/json" id="paperkg-data"> (nodes, edges, ...)."""
    return read_page_data(page)


class _Resources(HTMLParser):
    """Collects every URL-valued attribute and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "srcset", "data", "poster", "action", "formaction"} and value is not None:
                self.urls.append((tag, name, value))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


# --- static checks -------------------------------------------------------------------------------------

def test_view_info_counts(graph: nx.MultiDiGraph, view: tuple[Path, ViewInfo]) -> None:
    _, info = view
    assert info == ViewInfo(nodes_shown=graph.number_of_nodes(), edges_shown=graph.number_of_edges(),
                            nodes_total=graph.number_of_nodes(), nodes_left_out=0)


def test_no_remote_resources(view: tuple[Path, ViewInfo]) -> None:
    page = view[0].read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(page)
    remote = [u for u in parser.urls if re.match(r"\s*(https?:|//|ftp:|ws:|wss:)", u[2], re.I)]
    assert remote == []
    assert all(value.startswith(("data:", "#")) for _, _, value in parser.urls), parser.urls
    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?\s*(https?:)?//", page, re.I)
    for cdn in ("cdnjs", "jsdelivr", "unpkg", "bootstrap", "tom-select"):
        assert cdn not in page.lower()
    assert "vis.Network" in page  # vis-network is inlined, not fetched


def test_untrusted_text_is_escaped(view: tuple[Path, ViewInfo]) -> None:
    page = view[0].read_text(encoding="utf-8")
    assert EVIL_TITLE not in page
    assert page.lower().count("</script") == 3  # nothing in the data closes a script element early
    assert "<!--" not in page  # nor switches the tokenizer into the script's "double escaped" state
    assert "<img" not in page.lower()
    assert "<b>bold" not in page
    parser = _Resources()
    parser.feed(page)
    assert [tag for tag, _, _ in parser.urls] == ["link"]  # only the data: favicon
    assert len(parser.scripts) == 3  # vis-network, the data (JSON, never run), then our drawing code
    data, code = parser.scripts[1], parser.scripts[2]
    assert code.lstrip().startswith('"use strict";') and "new vis.Network(" in code
    assert "\\u003cimg src=x onerror=" in data  # the title is there, as escaped JSON
    assert "\\u003c/script\\u003e" in data
    assert "onerror" not in code and "pwned" not in code
    assert re.search(r'<script type="application/json" id="paperkg-data">', page)
    assert "Test &lt;graph&gt; &amp; co" in page  # the page title went through html.escape


def test_deterministic(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    first, second, shuffled = tmp_path / "a.html", tmp_path / "b.html", tmp_path / "c.html"
    write_html(graph, first, kind="papers")
    write_html(graph, second, kind="papers")
    reordered = nx.MultiDiGraph()
    reordered.graph.update(graph.graph)
    reordered.add_nodes_from(sorted(graph.nodes(data=True), reverse=True))
    reordered.add_edges_from(sorted(graph.edges(keys=True, data=True), key=str, reverse=True))
    write_html(reordered, shuffled, kind="papers")
    assert first.read_bytes() == second.read_bytes() == shuffled.read_bytes()
    ours = first.read_text().split('id="paperkg-data"', 1)[1]  # our data and code, after the inlined vis-network
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ours)


def test_colours_legend_and_labels(graph: nx.MultiDiGraph, view: tuple[Path, ViewInfo]) -> None:
    page = view[0].read_text(encoding="utf-8")
    assert 'id="legend"' in page
    for name, colour in {**NODE_COLORS, **EDGE_COLORS}.items():
        assert name in page and colour in page
    data = page_data(page)
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    assert labels["paper/arxiv-1706.03762"] == "Attention Is All You Need"
    assert labels["paper/arxiv-1810.04805"] == "BERT: Pre-training of Deep…"  # long titles are shortened
    assert labels["paper/t-evil"] == EVIL_TITLE[:31] + "…"  # drawn on the canvas, as text
    assert labels["repo/github.com/tensorflow/tensor2tensor"] == "tensorflow/tensor2tensor"
    assert labels["concept/metric/bleu"] == "BLEU"
    colours = {n["id"]: n["color"] for n in data["nodes"]}
    assert colours["paper/t-evil"] == NODE_COLORS["Paper"]
    assert colours["concept/dataset/glue"] == NODE_COLORS["Dataset"]
    assert colours["repo/github.com/tensorflow/tensor2tensor"] == NODE_COLORS["CodeRepository"]
    sizes = {n["id"]: n["size"] for n in data["nodes"]}
    assert sizes["concept/model/transformer"] > sizes["concept/metric/bleu"]  # sized by degree
    ids = [c["id"] for c in data["catalog"]]
    for e in data["edges"]:  # the data contract: source, target, relation; the page colours them
        assert e["relation"] in EDGE_COLORS
        assert graph.has_edge(e["source"], e["target"], e["relation"])
    assert {e["relation"] for e in data["edges"]} == set(EDGE_COLORS)
    kinds = {n["id"]: (n["kind"], n["type"]) for n in data["nodes"]}
    assert kinds["concept/dataset/glue"] == ("Concept", "Dataset") and kinds[EVIL] == ("Paper", "Paper")
    papers = {n["id"]: n["papers"] for n in data["nodes"]}
    assert papers["concept/model/transformer"] == 3 and papers[EVIL] is None  # paper count of concepts
    assert data["relationColors"]["uses"] == EDGE_COLORS["uses"]
    assert data["canvasEdges"] is False  # a small view: vis-network draws every edge
    catalog = {c["id"]: c for c in data["catalog"]}
    attn = catalog["paper/arxiv-1706.03762"]
    assert attn["label"] == "Attention Is All You Need" and attn["kind"] == "Paper"
    assert attn["date"] == "2017-06-12" and attn["arxiv"] == "1706.03762"
    assert attn["abstract"].startswith("The dominant sequence")
    assert "aliases" not in catalog["concept/metric/bleu"]  # only the label itself
    assert catalog["concept/model/transformer"]["aliases"] == ["TRANSFORMER"]
    assert catalog["concept/model/transformer"]["count"] == 3
    links = link_records(data)  # the page's links table, one dict a row
    bleu = next(x for x in links if ids[x["f"]] == "paper/arxiv-1706.03762" and ids[x["t"]] == "concept/metric/bleu")
    assert bleu == {"f": bleu["f"], "t": bleu["t"], "r": "mentions", "c": 0.9, "e": "Evidence sentence.",
                    "m": [[0, 4]]}
    related = next(x for x in links if x["r"] == "relatedTo")
    assert related["w"] == 1.0 and related["k"] == 1 and related["s"] == ["both use Transformer"]
    assert 'id="left-out"' not in page


def test_cap_keeps_most_connected(graph: nx.MultiDiGraph) -> None:
    page, info = render_html(graph, max_nodes=4, kind="papers")
    degree = dict(graph.degree())
    expected = sorted(graph, key=lambda n: (-degree[n], n))[:4]
    assert info.nodes_shown == 4 and info.nodes_total == graph.number_of_nodes()
    assert info.nodes_left_out == graph.number_of_nodes() - 4
    data = page_data(page)
    assert sorted(n["id"] for n in data["nodes"]) == sorted(expected)
    assert all(n in {c["id"] for c in data["catalog"]} for n in graph)  # left-out neighbours stay findable
    assert info.edges_shown == sum(1 for u, v in graph.edges() if u in expected and v in expected)
    assert 'id="left-out"' in page
    assert f"Showing the 4 most connected of {info.nodes_total} nodes; {info.nodes_left_out} left out" in page
    assert render_html(graph, max_nodes=0, kind="papers")[1].nodes_shown == 0
    with pytest.raises(ValueError):
        render_html(graph, max_nodes=-1, kind="papers")


def test_large_graph_opens_without_physics() -> None:
    g = nx.MultiDiGraph()
    for i in range(400):
        g.add_node(f"concept/method/m{i:03d}", kind="Concept", type="Method", label=f"m{i}")
    for i in range(399):
        g.add_edge(f"concept/method/m{i:03d}", f"concept/method/m{i + 1:03d}", key="relatedTo")
    page, info = render_html(g, max_nodes=350, kind="papers")
    assert info.nodes_shown == 350 and info.nodes_left_out == 50
    assert '"physics":false' in page and '"x":' in page and '"y":' in page
    small, _ = render_html(g, max_nodes=50, kind="papers")
    assert '"physics":true' in small


def test_write_is_atomic(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "graph.html"
    write_html(graph, path, kind="papers")
    assert path.exists() and [p.name for p in path.parent.iterdir()] == ["graph.html"]


# --- in a real headless Chromium -----------------------------------------------------------------------

def test_in_browser(chromium, graph: nx.MultiDiGraph, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "graph.html"
    t0 = time.perf_counter()
    info = write_html(graph, path, title="paperkg test view", kind="papers")
    print(f"write_html fixture: {time.perf_counter() - t0:.3f}s")
    page, log = open_page(chromium, path)
    try:
        page.wait_for_function("window.paperkgDrawn === true", timeout=15_000)
        assert page.evaluate("network.body.data.nodes.length") == info.nodes_shown
        assert page.evaluate("nodes.length") == info.nodes_shown
        assert page.evaluate("network.body.data.edges.length") == info.edges_shown
        assert page.evaluate("network.physics.options.enabled") is False  # settled after stabilisation
        assert page.is_visible("#legend") and nodes_under(page) == []  # fitted clear of the legend
        page.screenshot(path=str(tmp_path / "view.png"))

        # hover, then click the hostile paper: its title shows as text, nothing runs
        box = page.locator("#mynetwork canvas").bounding_box()
        dom = page.evaluate(f"network.canvasToDOM(network.getPositions([{EVIL!r}])[{EVIL!r}])")
        x, y = box["x"] + dom["x"], box["y"] + dom["y"]
        page.mouse.move(x - 40, y - 40)
        page.mouse.move(x, y, steps=5)
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
        tooltip = page.locator("div.vis-tooltip")
        assert EVIL_TITLE in tooltip.inner_text()
        assert "</script><script>window.pwned=2</script>" in tooltip.inner_text()
        assert page.evaluate("document.querySelectorAll('div.vis-tooltip img, div.vis-tooltip script').length") == 0
        page.screenshot(path=str(tmp_path / "tooltip.png"))
        page.mouse.click(x, y)
        assert page.evaluate("network.getSelectedNodes()") == [EVIL]
        # the side panel: title, abstract and evidence as text
        assert page.is_visible("#panel")
        assert page.inner_text("#panel h2") == EVIL_TITLE
        panel = page.inner_text("#panel")
        assert "</script><script>window.pwned=2</script>" in panel and "<b>bold</b>" in panel
        assert "Evidence sentence." in panel and "</script><script>window.pwned=3</script>" in panel
        assert page.evaluate("document.querySelectorAll('#panel img, #panel script, #panel b').length") == 0
        # the hostile concept opens as text too
        page.evaluate("paperkg.focus('concept/method/evil', false)")
        assert page.inner_text("#panel h2") == "</script><script>window.pwned=3</script>"
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert log.errors == []
        assert log.foreign_requests == []
        assert log.requests == [log.url]
    finally:
        page.context.close()


def test_capped_view_in_browser(chromium, graph: nx.MultiDiGraph, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "capped.html"
    info = write_html(graph, path, max_nodes=5, kind="papers")
    page, log = open_page(chromium, path)
    try:
        page.wait_for_function("window.paperkgDrawn === true", timeout=15_000)
        assert page.evaluate("network.body.data.nodes.length") == info.nodes_shown == 5
        assert f"{info.nodes_left_out} left out" in page.inner_text("#left-out")
        assert log.errors == [] and log.foreign_requests == []
    finally:
        page.context.close()
