"""kg.views without a browser: which nodes each view draws, name lookup, types, layout, `kg view`."""
from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pytest
from graph_fixtures import (
    CIFAR,
    CLASSIFICATION,
    CONTRASTIVE,
    GBRL,
    GBRL_PAPER,
    IMAGENET,
    OLD_PAPER,
    REPO,
    RESNET,
    TOP1,
    VIT,
    VIT_PAPER,
    small_graph,
)
from typer.testing import CliRunner

from kg.cli import app
from kg.rdf import write_rdf
from kg.views import (
    DEFAULT_MAX_NODES,
    GROUPS,
    KINDS,
    NodeNotFound,
    communities,
    cooccurrence_graph,
    ego_view,
    find_nodes,
    load_graph,
    make_view,
    parse_types,
    render_view,
    write_view,
)
from kg.views import layout as layout_module
from kg.views.page import read_page_data
from kg.views.select import COOCCURS


def page_data(page: str) -> dict:
    return read_page_data(page)


@pytest.fixture
def g() -> nx.MultiDiGraph:
    return small_graph()


def test_find_nodes(g: nx.MultiDiGraph) -> None:
    assert find_nodes(g, "imagenet") == [IMAGENET]  # label, case-insensitive
    assert find_nodes(g, "  ILSVRC-2012 ") == [IMAGENET]  # an alias
    assert find_nodes(g, "vit") == [VIT]  # an alias beats the titles containing "ViT"
    assert find_nodes(g, "vision transformers") == sorted([VIT_PAPER, OLD_PAPER])  # title substrings
    assert find_nodes(g, '"trees"') == [GBRL_PAPER]
    assert find_nodes(g, "nvlabs/gbrl") == [REPO]
    assert find_nodes(g, CIFAR) == [CIFAR]  # a node key
    with pytest.raises(NodeNotFound) as caught:
        find_nodes(g, "imagenett")
    assert "ImageNet" in caught.value.suggestions and "did you mean" in str(caught.value)
    with pytest.raises(NodeNotFound):
        find_nodes(g, "   ")


def test_parse_types() -> None:
    assert parse_types(None) is None
    assert parse_types("dataset, Model") == frozenset({"Dataset", "Model"})
    assert parse_types(["datasets", "repo"]) == frozenset({"Dataset", "CodeRepository"})
    assert set(GROUPS) == {"Paper", "Method", "Model", "Dataset", "Task", "Metric", "CodeRepository"}
    with pytest.raises(ValueError, match="unknown node type 'Foo'"):
        parse_types("Dataset,Foo")
    with pytest.raises(ValueError):
        parse_types(",")


def test_papers_view_types_keep_linking_papers(g: nx.MultiDiGraph) -> None:
    view = make_view(g, "papers", types="Dataset")
    assert set(view.graph) == {IMAGENET, CIFAR, VIT_PAPER, GBRL_PAPER, OLD_PAPER}  # + the papers linking them
    assert view.graph.has_edge(OLD_PAPER, VIT_PAPER, "relatedTo")
    view = make_view(g, "papers", types="Dataset,Paper")
    assert set(view.graph) == {IMAGENET, CIFAR, VIT_PAPER, GBRL_PAPER, OLD_PAPER}
    view = make_view(g, "papers", types="Metric,Model")
    assert set(view.graph) == {TOP1, VIT, RESNET, VIT_PAPER, OLD_PAPER}
    assert "types Model, Metric" in view.description
    assert make_view(g, "papers").graph is g
    assert make_view(g).kind == "overview"  # the default: the map of concepts


def test_ego_view_depth_and_rank(g: nx.MultiDiGraph) -> None:
    one = ego_view(g, "ImageNet", depth=1)
    assert set(one.graph) == {IMAGENET, VIT_PAPER, GBRL_PAPER, OLD_PAPER}
    assert one.centres == (IMAGENET,) and one.kind == "ego" and one.rank_label == "nearest"
    assert "“ImageNet” (1 hop)" in one.description
    two = ego_view(g, "ImageNet", depth=2)
    assert set(two.graph) == set(g)  # everything is within two hops of ImageNet here
    assert two.rank[IMAGENET][0] == 0 and two.rank[GBRL][0] == 2
    page, _ = render_view(two, max_nodes=4)  # the cap keeps the nearest
    data = page_data(page)
    assert sorted(n["id"] for n in data["nodes"]) == sorted([IMAGENET, VIT_PAPER, GBRL_PAPER, OLD_PAPER])
    assert "Showing the 4 nearest of 12 nodes" in page
    centre = next(n for n in data["nodes"] if n["id"] == IMAGENET)
    assert centre["borderWidth"] == 4 and centre["color"]["border"] == "#222222"
    zero = ego_view(g, "vision transformers", depth=0)  # several centres
    assert set(zero.graph) == {VIT_PAPER, OLD_PAPER} and "2 nodes matching" in zero.description
    # a centre of a type the filter leaves out is kept
    assert IMAGENET in make_view(g, "ego", around="ImageNet", types="Model").graph
    with pytest.raises(NodeNotFound):
        ego_view(g, "no such thing")
    with pytest.raises(ValueError, match="needs a centre"):
        make_view(g, "ego")
    with pytest.raises(ValueError, match="unknown view kind"):
        make_view(g, "sunburst")
    assert KINDS == ("overview", "papers-map", "papers", "cooccurrence", "ego", "communities")


def test_cooccurrence(g: nx.MultiDiGraph) -> None:
    h = cooccurrence_graph(g)
    assert all(d["kind"] == "Concept" for _, d in h.nodes(data=True))
    assert h.number_of_nodes() == 8
    # ImageNet and ViT share two papers (the ViT paper and the scaling paper)
    assert h[IMAGENET][VIT][COOCCURS]["weight"] == 2
    assert h[IMAGENET][VIT][COOCCURS]["papers"] == sorted([VIT_PAPER, OLD_PAPER])
    assert h[CIFAR][IMAGENET][COOCCURS]["weight"] == 1
    assert not h.has_edge(GBRL, IMAGENET) or h[GBRL][IMAGENET][COOCCURS]["weight"] == 1
    assert all(str(u) < str(v) for u, v in h.edges())  # once per pair
    only = cooccurrence_graph(g, types=frozenset({"Dataset"}))
    assert set(only) == {IMAGENET, CIFAR} and only.number_of_edges() == 1
    strong = make_view(g, "cooccurrence").graph
    assert strong.number_of_edges() == h.number_of_edges()
    page, info = render_view(make_view(g, "cooccurrence"))
    data = page_data(page)
    assert info.kind == "cooccurrence" and {e["relation"] for e in data["edges"]} == {COOCCURS}
    edge = next(e for e in data["edges"] if {e["source"], e["target"]} == {IMAGENET, VIT})
    assert edge["w"] == 2 and len(edge["p"]) == 2
    assert data["options"]["edges"]["arrows"]["to"]["enabled"] is False
    # the papers are not drawn but the panel knows them
    assert VIT_PAPER in {c["id"] for c in data["catalog"]} and VIT_PAPER not in {n["id"] for n in data["nodes"]}
    around = make_view(g, "cooccurrence", around="Scaling Vision Transformers")  # a paper: its concepts
    assert set(around.centres) == {VIT, IMAGENET, CLASSIFICATION}


def test_communities_are_deterministic(g: nx.MultiDiGraph) -> None:
    first = communities(g)
    assert sorted(n for c in first for n in c) == sorted(g)
    assert [len(c) for c in first] == sorted((len(c) for c in first), reverse=True)
    reordered = nx.MultiDiGraph()
    reordered.add_nodes_from(sorted(g.nodes(data=True), reverse=True))
    reordered.add_edges_from(sorted(g.edges(keys=True, data=True), key=str, reverse=True))
    assert communities(reordered) == first
    view = make_view(g, "communities")
    assert view.community and set(view.community) == set(g)
    assert len(view.community_names) == len(first)
    page, _ = render_view(view)
    data = page_data(page)
    assert all(n["community"] is not None for n in data["nodes"])
    assert data["communities"] and all(c["label"] == view.community_names[c["id"]] for c in data["communities"])
    assert 'data-filter="community"' in page
    assert make_view(g, "communities", around="GBRL").kind == "communities"


def test_write_view_every_kind(g: nx.MultiDiGraph, tmp_path: Path) -> None:
    for kind, around in [("papers", None), ("cooccurrence", None), ("ego", "ViT"), ("communities", None),
                         ("papers", "ViT"), ("overview", None), ("papers-map", None), ("overview", "ViT")]:
        path = tmp_path / f"{kind}-{around}.html"
        info = write_view(g, path, kind=kind, around=around, depth=1, max_nodes=100)
        page = path.read_text(encoding="utf-8")
        assert info.nodes_shown == len(page_data(page)["nodes"]) > 0
        assert info.kind == ("ego" if around and kind == "papers" else kind)
        assert "<title>paperkg" in page
    with pytest.raises(ValueError):
        write_view(g, tmp_path / "x.html", depth=-1)
    assert DEFAULT_MAX_NODES == 3000


def test_edge_cap_keeps_typed_links(g: nx.MultiDiGraph) -> None:
    view = make_view(g, "papers")
    page, info = render_view(view, max_edges=10)
    data = page_data(page)
    assert info.edges_shown == 10 and info.edges_left_out == g.number_of_edges() - 10
    assert "relatedTo" not in {e["relation"] for e in data["edges"]}  # weakest first out
    assert "weaker edges between drawn nodes left out" in page
    with pytest.raises(ValueError):
        render_view(view, max_edges=-1)


def test_layout_is_deterministic_and_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    g = nx.connected_caveman_graph(30, 12)  # 30 cliques of 12 in a ring
    nodes, edges = sorted(g), sorted(g.edges())
    exact = layout_module.layout(nodes, edges)
    assert exact == layout_module.layout(nodes, edges)
    monkeypatch.setattr(layout_module, "EXACT_MAX_NODES", 100)  # the grid (FFT) repulsion
    grid = layout_module.layout(nodes, edges)
    assert grid == layout_module.layout(nodes, edges)
    pairs = list(zip(nodes[::7], nodes[3::5]))
    for pos in (exact, grid):
        xy = sorted(pos.values())
        assert all(math.isfinite(x) and math.isfinite(y) for x, y in xy)
        assert len(set(xy)) == len(xy)  # no two nodes on the same spot
        mean_edge = sum(math.dist(pos[u], pos[v]) for u, v in edges) / len(edges)
        mean_pair = sum(math.dist(pos[u], pos[v]) for u, v in pairs) / len(pairs)
        assert mean_edge < 0.2 * mean_pair  # cliques end up together (both give about 0.1)
    groups = {n: n % 4 for n in nodes}
    assert layout_module.layout(nodes, edges, groups=groups) == layout_module.layout(nodes, edges, groups=groups)
    alone = layout_module.layout(["a", "b", "c"], [])
    assert len(set(alone.values())) == 3


@pytest.fixture
def built(g: nx.MultiDiGraph, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_rdf(g, out)
    return out


def test_load_graph_round_trip(g: nx.MultiDiGraph, built: Path) -> None:
    h = load_graph(built)
    assert set(h) == set(g) and h.number_of_edges() == g.number_of_edges()
    assert h.nodes[VIT_PAPER]["title"] == g.nodes[VIT_PAPER]["title"]
    assert h[VIT_PAPER][CONTRASTIVE]["proposes"]["evidence"] == g[VIT_PAPER][CONTRASTIVE]["proposes"]["evidence"]


def test_cli_view(g: nx.MultiDiGraph, built: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "ego.html"
    result = runner.invoke(app, ["view", "--graph", str(built), "--around", "imagenet", "--depth", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output and out.exists()
    data = page_data(out.read_text(encoding="utf-8"))
    assert sorted(n["id"] for n in data["nodes"]) == sorted([IMAGENET, VIT_PAPER, GBRL_PAPER, OLD_PAPER])
    result = runner.invoke(app, ["view", "--graph", str(built), "--kind", "cooccurrence", "--types", "Dataset,Model"])
    assert result.exit_code == 0, result.output
    assert (built / "view-cooccurrence.html").exists()
    result = runner.invoke(app, ["view", "--graph", str(built), "--kind", "papers", "--max-nodes", "3"])
    assert result.exit_code == 0 and "left out 9 of 12 nodes" in result.output
    assert "kg view --graph" in (built / "view-papers.html").read_text(encoding="utf-8")
    result = runner.invoke(app, ["view", "--graph", str(built)])  # the default: the overview
    assert result.exit_code == 0, result.output
    overview = page_data((built / "view-overview.html").read_text(encoding="utf-8"))
    assert overview["kind"] == "overview" and overview["nodes"]
    assert all(n["kind"] == "Concept" and n["papers"] >= 2 for n in overview["nodes"])
    result = runner.invoke(app, ["view", "--graph", str(built), "--min-papers", "1", "-o", str(tmp_path / "all.html")])
    assert result.exit_code == 0, result.output
    every = page_data((tmp_path / "all.html").read_text(encoding="utf-8"))
    assert len(every["nodes"]) == sum(1 for n in g if n.startswith("concept/")) > len(overview["nodes"])
    result = runner.invoke(app, ["view", "--graph", str(built), "--kind", "papers-map"])
    assert result.exit_code == 0, result.output
    assert {n["kind"] for n in page_data((built / "view-papers-map.html").read_text(encoding="utf-8"))["nodes"]} == {"Paper"}
    result = runner.invoke(app, ["view", "--graph", str(built), "--around", "imagenett [x]"])
    assert result.exit_code == 1 and "did you mean" in result.output and "ImageNet" in result.output
    assert runner.invoke(app, ["view", "--graph", str(built), "--types", "Foo"]).exit_code == 2
    assert runner.invoke(app, ["view", "--graph", str(built), "--kind", "ego"]).exit_code == 2
    assert runner.invoke(app, ["view", "--graph", str(built), "--kind", "pie"]).exit_code == 2
    assert runner.invoke(app, ["view", "--graph", str(tmp_path / "missing")]).exit_code == 2


def test_odd_graphs_render() -> None:
    empty, info = render_view(make_view(nx.MultiDiGraph()))
    assert info.nodes_shown == 0 and page_data(empty)["nodes"] == [] and "left-out" not in empty
    plain = nx.MultiDiGraph(nx.path_graph(5))  # no schema attributes, integer keys
    page, info = render_view(make_view(plain, "papers"))
    data = page_data(page)
    assert info.nodes_shown == 5 and {n["id"] for n in data["nodes"]} == {"0", "1", "2", "3", "4"}
    assert {n["kind"] for n in data["nodes"]} == {"Other"} and len(data["edges"]) == plain.number_of_edges()


# ---------------------------------------------- 15c: which names are a paper's, which a concept's

def _lookup_graph() -> nx.MultiDiGraph:
    h = nx.MultiDiGraph()
    h.add_node("concept/dataset/imagenet", kind="Concept", type="Dataset", label="ImageNet")
    h.add_node("concept/model/bert", kind="Concept", type="Model", label="BERT")
    h.add_node("paper/t-1", kind="Paper", title="ImageNet: A large-scale hierarchical image database",
               record_id="imagenet")
    h.add_node("paper/t-2", kind="Paper", title="Pre-training of deep bidirectional transformers", record_id="BERT")
    h.add_node("paper/arxiv-1706.03762", kind="Paper", title="Attention is all you need", arxiv_id="1706.03762")
    h.add_node("paper/t-3", kind="Paper", title="Comment on arXiv:1706.03762")
    return h


def test_find_nodes_puts_concept_labels_before_record_ids() -> None:
    # Failed before 15c: a record id (a BibTeX key) was tried with arXiv ids and DOIs, before concepts.
    h = _lookup_graph()
    assert find_nodes(h, "ImageNet") == ["concept/dataset/imagenet"]
    assert find_nodes(h, "bert") == ["concept/model/bert"]
    assert find_nodes(h, "imagenet", kinds="Paper") == ["paper/t-1"]  # no concept searched: the record id
    assert find_nodes(h, "BERT", kinds="Paper") == ["paper/t-2"]


def test_find_nodes_reads_an_identifier_only_when_the_whole_name_is_one() -> None:
    # Failed before 15c: the arXiv id inside the title named the paper "Attention is all you need".
    h = _lookup_graph()
    assert find_nodes(h, "Comment on arXiv:1706.03762") == ["paper/t-3"]
    assert find_nodes(h, " https://arxiv.org/abs/1706.03762v5 ") == ["paper/arxiv-1706.03762"]
    from kg.paper_lookup import paper_refs, resolve_paper

    refs = paper_refs(h)
    assert resolve_paper(refs, "Comment on arXiv:1706.03762") == "paper/t-3"  # kg related, paper()
    assert resolve_paper(refs, "arXiv:1706.03762") == "paper/arxiv-1706.03762"


def test_node_not_found_says_when_the_kinds_left_the_paper_out() -> None:
    # Failed before 15c: "no paper has the arXiv id", though one has, and only `kinds` left it out.
    h = _lookup_graph()
    with pytest.raises(NodeNotFound) as caught:
        find_nodes(h, "1706.03762", kinds="Dataset")
    message = str(caught.value)
    assert "no paper has" not in message
    assert "the arXiv id '1706.03762' names paper/arxiv-1706.03762, but the kinds searched (--types) leave papers out" in message
    with pytest.raises(NodeNotFound, match=r"^no paper has the arXiv id '2401\.99999'"):
        find_nodes(h, "2401.99999")
    with pytest.raises(NodeNotFound, match=r"^no concept label"):
        find_nodes(h, "2401.99999", kinds="Dataset")  # no paper has it, and none was searched


def test_kg_view_around_imagenet_centres_on_the_concept_not_the_bibtex_key(tmp_path: Path) -> None:
    # The README's own example. Failed before 15c: the paper whose BibTeX key is "imagenet" was the centre.
    import kg

    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@inproceedings{imagenet,\n  title = {A Large-Scale Hierarchical Image Database},\n"
        "  abstract = {We introduce ImageNet, a large image database, and evaluate classifiers on ImageNet.},\n"
        "  year = {2009}\n}\n"
        "@article{he2016,\n  title = {Deep Residual Learning for Image Recognition},\n"
        "  abstract = {We train ResNet on ImageNet and report top-1 accuracy on ImageNet.},\n  year = {2016}\n}\n",
        encoding="utf-8")
    out = tmp_path / "out"
    graph = kg.build([bib], out)
    h = graph.to_networkx()
    concept = [n for n, d in h.nodes(data=True) if d.get("kind") == "Concept" and d.get("label") == "ImageNet"]
    keyed = [n for n, d in h.nodes(data=True) if d.get("kind") == "Paper" and d.get("record_id") == "imagenet"]
    assert len(concept) == 1 and len(keyed) == 1
    assert graph.find("ImageNet") == concept
    page = tmp_path / "imagenet.html"
    result = CliRunner().invoke(app, ["view", "--graph", str(out), "--around", "ImageNet", "--depth", "2",
                                      "-o", str(page)])
    assert result.exit_code == 0, result.output
    centres = [n["id"] for n in page_data(page.read_text(encoding="utf-8"))["nodes"] if n.get("borderWidth") == 4]
    assert centres == concept
