"""kg export / kg.export: a real build (25 papers) written as GraphML, GEXF, Neo4j, Cytoscape.js, node-link.

Each format is read back by the reader its users have (networkx, the csv module, json), and a paper
title holding everything text can hold (quotes, newlines, "<", commas, backslashes, the array delimiter)
must come back unchanged from every one of them.
"""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.export import EXPORT_FORMATS, export_graph, scalar_graph
from kg.rdf import read_rdf

DATA = Path(__file__).resolve().parent / "data" / "guideline_test.jsonl"
NASTY = 'A "quoted", <b>bold</b> & \'odd\' title,\nover two lines; with a backslash \\ and \\n and é → ∑'


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """tests/data/guideline_test.jsonl (25 real papers) built once by kg.build.build."""
    from kg.build import build

    out = tmp_path_factory.mktemp("export") / "out"
    build([DATA], out, html=False)
    return out


@pytest.fixture(scope="module")
def g(built: Path) -> nx.MultiDiGraph:
    return read_rdf(built)


@pytest.fixture(scope="module")
def nasty(g: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, str, str]:
    """The built graph with one paper titled NASTY and one concept alias holding ';' (the default
    Neo4j array delimiter), as papers in the wild have."""
    h = g.copy()
    paper = sorted(n for n, d in h.nodes(data=True) if d["kind"] == "Paper")[0]
    concept = sorted(n for n, d in h.nodes(data=True) if d["kind"] == "Concept")[0]
    h.nodes[paper]["title"] = NASTY
    h.nodes[paper]["abstract"] = NASTY + "\r\n" + NASTY
    h.nodes[concept]["aliases"] = sorted([*h.nodes[concept]["aliases"], "x; y", 'say "hi", <ok>'])
    return h, paper, concept


def _kinds(g: nx.MultiDiGraph) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, d in g.nodes(data=True):
        out[d["kind"]] = out.get(d["kind"], 0) + 1
    return out


def test_the_build_has_every_kind(g):
    assert _kinds(g).keys() == {"Paper", "Concept", "CodeRepository"}
    assert {k for *_, k in g.edges(keys=True)} >= {"uses", "proposes", "relatedTo", "codeRepository"}


# ----------------------------------------------------------------------------- GraphML, GEXF

@pytest.mark.parametrize("fmt,read", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_xml_formats_read_back_with_attributes(g, tmp_path, fmt, read):
    [path] = export_graph(g, fmt, tmp_path / f"kg.{fmt}")
    h = read(path)
    assert h.number_of_nodes() == g.number_of_nodes() and h.number_of_edges() == g.number_of_edges()
    assert set(h) == set(g)
    for n, d in g.nodes(data=True):
        got = h.nodes[n]
        assert got["kind"] == d["kind"] and isinstance(got["community"], int)
        if d["kind"] == "Concept":
            assert got["type"] == d["type"] and got["label"] == d["label"]
            assert got["paper_count"] == d["paper_count"]
            assert got["aliases"] == "; ".join(d["aliases"])
        elif d["kind"] == "Paper":
            assert got["type"] == "Paper" and got["title"] == d["title"] and got["label"]
        else:
            assert got["type"] == "CodeRepository" and got["url"] == d["url"]
    for u, v, k, d in g.edges(keys=True, data=True):
        [got] = h[u][v].values() if h.is_multigraph() else [h[u][v]]
        assert got["relation"] == k
        if k == "relatedTo":
            assert got["score"] == d["score"] and got["rank"] == d["rank"]
            assert got["reasons"] == "; ".join(d["reasons"])
        elif k != "codeRepository":
            assert got["evidence_text"] == d["evidence"]["text"]
            assert got["mentions_count"] == len(d["mentions"])


def _edges(h: nx.Graph) -> list[tuple]:
    """(source, target, key, data) of every edge; a simple graph's key is its GEXF/GraphML edge id."""
    if h.is_multigraph():
        return sorted(h.edges(keys=True, data=True))
    return sorted((u, v, d["id"] if "id" in d else None, d) for u, v, d in h.edges(data=True))


def test_graphml_reads_back_as_the_scalar_graph(g, tmp_path):
    """Every node, edge and attribute (values and their types) that scalar_graph holds, and nothing else."""
    want = scalar_graph(g)
    [path] = export_graph(g, "graphml", tmp_path / "kg.graphml")
    back = nx.read_graphml(path, force_multigraph=True)
    assert dict(back.nodes(data=True)) == dict(want.nodes(data=True))
    assert sorted(back.edges(keys=True, data=True)) == sorted(want.edges(keys=True, data=True))
    assert {k: v for k, v in back.graph.items() if not k.endswith("_default")} == want.graph


def test_gexf_reads_back_as_the_scalar_graph(g, tmp_path):
    want = scalar_graph(g)
    [path] = export_graph(g, "gexf", tmp_path / "kg.gexf")
    back = nx.read_gexf(path)
    assert dict(back.nodes(data=True)) == dict(want.nodes(data=True))
    # GEXF keeps the edge id as an attribute of its own, as networkx reads it
    assert _edges(back) == sorted((u, v, k, {**d, "id": k}) for u, v, k, d in want.edges(keys=True, data=True))
    assert back.graph["mode"] == "static"


@pytest.mark.parametrize("fmt,read", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_xml_formats_keep_types_carriage_returns_and_mixed_attributes(nasty, tmp_path, fmt, read):
    h, paper, concept = nasty
    h = h.copy()
    h.nodes[paper]["flag"] = True
    h.nodes[concept]["flag"] = False
    h.nodes[paper]["weight"] = 2         # a number on one node ...
    h.nodes[concept]["weight"] = "high"  # ... text on another: text for all (one declared type)
    [path] = export_graph(h, fmt, tmp_path / f"kg.{fmt}")
    back = read(path)
    assert back.nodes[paper]["abstract"] == NASTY + "\r\n" + NASTY  # "\r" is not read back as "\n"
    assert back.nodes[paper]["flag"] is True and back.nodes[concept]["flag"] is False
    assert back.nodes[paper]["weight"] == "2" and back.nodes[concept]["weight"] == "high"
    assert isinstance(back.nodes[paper]["community"], int)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_formats_are_streamed_not_built_in_memory(g, tmp_path, fmt):
    """Memory taken while writing does not grow with the text written: no XML tree, no copy of the graph."""
    import tracemalloc

    h = g.copy()
    for _, d in h.nodes(data=True):
        if d["kind"] == "Paper":
            d["abstract"] = " ".join([d["abstract"]] * 40)
    export_graph(h, fmt, tmp_path / f"warm.{fmt}")  # imports and caches out of the measurement
    tracemalloc.start()
    try:
        [path] = export_graph(h, fmt, tmp_path / f"kg.{fmt}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert path.stat().st_size > 1_500_000
    assert peak < path.stat().st_size / 3, (peak, path.stat().st_size)


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_every_format_is_byte_identical_on_a_rerun(g, tmp_path, fmt):
    first = export_graph(g, fmt, tmp_path / "a" / EXPORT_FORMATS[fmt])
    second = export_graph(g, fmt, tmp_path / "b" / EXPORT_FORMATS[fmt])
    again = export_graph(g, fmt, tmp_path / "a" / EXPORT_FORMATS[fmt])  # over the first
    assert len(first) == len(second) == len(again)
    for a, b, c in zip(first, second, again):
        assert a.relative_to(tmp_path / "a") == b.relative_to(tmp_path / "b")
        assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_the_same_graph_in_another_order_gives_the_same_bytes(g, tmp_path):
    shuffled = nx.MultiDiGraph()
    shuffled.graph.update(g.graph)
    shuffled.add_nodes_from(reversed(list(g.nodes(data=True))))
    shuffled.add_edges_from(reversed(list(g.edges(keys=True, data=True))))
    for fmt in ("graphml", "gexf", "cytoscape"):
        [a] = export_graph(g, fmt, tmp_path / f"a.{fmt}")
        [b] = export_graph(shuffled, fmt, tmp_path / f"b.{fmt}")
        assert a.read_bytes() == b.read_bytes(), fmt


# ----------------------------------------------------------------------------- Neo4j

HEADER_FIELD = re.compile(r"^(?:[a-z_]+(?::(?:int|long|double|boolean|string\[\]|int\[\]|long\[\]|double\[\]))?"
                          r"|id:ID|:LABEL|:START_ID|:END_ID|:TYPE)$")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, strict=True))
    return rows[0], rows[1:]


def _admin_args(folder: Path, tmp_path: Path) -> list[str]:
    """The arguments import.sh passes to neo4j-admin: it runs with a stand-in neo4j-admin on PATH that
    prints them, one a line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "neo4j-admin"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_HOME"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run(["sh", str(folder / "import.sh"), "papers"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True)
    return run.stdout.splitlines()


def test_neo4j_files_for_neo4j_admin(g, tmp_path):
    written = export_graph(g, "neo4j", tmp_path / "neo4j")
    folder = tmp_path / "neo4j"
    assert {p.name for p in written} >= {"import.sh", "load.cypher", "Paper.csv", "Method.csv", "USES.csv",
                                         "RELATED_TO.csv", "CODE_REPOSITORY.csv", "CodeRepository.csv"}
    args = _admin_args(folder, tmp_path)
    assert args[:4] == ["database", "import", "full", "papers"]
    assert "--multiline-fields=true" in args
    delimiter = next(a.split("=", 1)[1] for a in args if a.startswith("--array-delimiter="))
    assert delimiter == ";"
    assert "--legacy-style-quoting=false" in args
    node_files = [Path(a.split("=", 1)[1]) for a in args if a.startswith("--nodes=")]
    rel_files = [Path(a.split("=", 1)[1]) for a in args if a.startswith("--relationships=")]
    assert all(p.is_absolute() and p.is_file() for p in node_files + rel_files)
    assert sorted(node_files + rel_files) == sorted(p for p in written if p.suffix == ".csv")

    ids: dict[str, list[str]] = {}
    for path in node_files:
        header, rows = _read_csv(path)
        assert header[:2] == ["id:ID", ":LABEL"] and all(HEADER_FIELD.match(h) for h in header), header
        assert all(len(r) == len(header) for r in rows)
        for r in rows:
            labels = r[1].split(delimiter)
            assert labels[-1] == path.stem and (labels == [path.stem] or labels == ["Concept", path.stem])
            ids[r[0]] = labels
        if path.stem == "Method":
            assert "paper_count:int" in header and "aliases:string[]" in header and "community:int" in header
            col = header.index("paper_count:int")
            assert all(int(r[col]) == g.nodes[r[0]]["paper_count"] for r in rows)
    assert sorted(ids) == sorted(g.nodes) and len(ids) == g.number_of_nodes()

    n_rels = 0
    for path in rel_files:
        header, rows = _read_csv(path)
        assert header[:3] == [":START_ID", ":END_ID", ":TYPE"] and all(HEADER_FIELD.match(h) for h in header)
        for r in rows:
            assert len(r) == len(header) and r[2] == path.stem
            assert r[0] in ids and r[1] in ids, r[:3]  # every endpoint is a node of a node file
        if path.stem == "RELATED_TO":
            assert {"score:double", "rank:int", "reasons:string[]"} <= set(header)
        n_rels += len(rows)
    assert n_rels == g.number_of_edges()


def _cypher_rows(folder: Path) -> list[dict]:
    """The rows of load.cypher's UNWIND lists, read as JSON (its maps' keys are `backticked` names)."""
    rows = []
    for block in re.findall(r"UNWIND \[\n(.*?)\n\] AS row", (folder / "load.cypher").read_text(encoding="utf-8"),
                            flags=re.S):
        for line in block.split("\n"):
            rows.append(json.loads(re.sub(r"`(\w+)`: ", r'"\1": ', line.strip().rstrip(","))))
    return rows


def test_neo4j_load_cypher(g, tmp_path):
    export_graph(g, "neo4j", tmp_path / "neo4j")
    text = (tmp_path / "neo4j" / "load.cypher").read_text(encoding="utf-8")
    for label in ("Paper", "Method", "Dataset", "CodeRepository"):
        assert re.search(rf"CREATE CONSTRAINT `\w+` IF NOT EXISTS FOR \(n:`{label}`\) REQUIRE n\.id IS UNIQUE;", text)
    assert "SET n = row, n:`Concept`;" in text and "MERGE (a)-[r:`EVALUATES_ON`]->(b)" in text
    rows = _cypher_rows(tmp_path / "neo4j")
    nodes = {r["id"]: r for r in rows if "id" in r}
    rels = [r for r in rows if "s" in r]
    assert sorted(nodes) == sorted(g.nodes) and len(rels) == g.number_of_edges()
    assert all(r["s"] in nodes and r["e"] in nodes for r in rels)
    paper = next(n for n, d in g.nodes(data=True) if d["kind"] == "Paper")
    assert nodes[paper]["title"] == g.nodes[paper]["title"] and isinstance(nodes[paper]["community"], int)


def test_neo4j_output_folders(g, tmp_path):
    build_like = tmp_path / "out"
    build_like.mkdir()
    (build_like / "kg.nt").write_text("")
    written = export_graph(g, "neo4j", build_like)  # a folder that is not an export: the export goes inside
    assert (build_like / "neo4j" / "import.sh") in written and (build_like / "kg.nt").exists()
    export_graph(g, "neo4j", build_like / "neo4j")  # an earlier export is replaced
    assert not (build_like / "neo4j" / "neo4j").exists()
    (build_like / "neo4j" / "nodes").rename(build_like / "neo4j" / "elsewhere")
    with pytest.raises(FileExistsError):  # out/neo4j is not ours any more: refused, left as it is
        export_graph(g, "neo4j", build_like)
    assert sorted(p.name for p in (build_like / "neo4j").iterdir()) == [
        "elsewhere", "import.sh", "load.cypher", "relationships"]
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_graph(g, "xml", tmp_path / "x")


# ----------------------------------------------------------------------------- JSON formats

def test_cytoscape_elements(g, tmp_path):
    [path] = export_graph(g, "cytoscape", tmp_path)
    assert path == tmp_path / "kg.cyjs"
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert len(nodes) == g.number_of_nodes() and len(edges) == g.number_of_edges()
    ids = [n["data"]["id"] for n in nodes]
    assert ids == sorted(g.nodes) and all(n["data"]["label"] for n in nodes)
    assert len({e["data"]["id"] for e in edges}) == len(edges)
    for e in edges:
        d = e["data"]
        assert d["source"] in g and d["target"] in g and g.has_edge(d["source"], d["target"], d["relation"])
    concept = next(n["data"] for n in nodes if n["data"]["kind"] == "Concept")
    assert concept["paper_count"] == g.nodes[concept["id"]]["paper_count"]
    assert concept["aliases"] == g.nodes[concept["id"]]["aliases"]  # JSON keeps lists


def test_node_link_round_trip(g, tmp_path):
    [path] = export_graph(g, "node-link", tmp_path / "g.json")
    h = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")))
    assert h.is_multigraph() and h.is_directed()
    assert h.number_of_nodes() == g.number_of_nodes() and h.number_of_edges() == g.number_of_edges()
    for n, d in g.nodes(data=True):
        assert {k: v for k, v in h.nodes[n].items() if k not in ("type", "label", "community")} == \
               {k: v for k, v in d.items() if k not in ("type", "label")}
    for u, v, k, d in g.edges(keys=True, data=True):
        assert h[u][v][k] == d


# ----------------------------------------------------------------------------- text is data

def test_a_nasty_title_survives_every_format(nasty, tmp_path):
    h, paper, concept = nasty
    aliases = h.nodes[concept]["aliases"]

    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        [path] = export_graph(h, fmt, tmp_path / f"kg.{fmt}")
        back = read(path)
        assert back.nodes[paper]["title"] == NASTY, fmt
        assert back.nodes[paper]["label"] == " ".join(NASTY.split())
        assert back.nodes[concept]["aliases"] == "; ".join(aliases)

    export_graph(h, "neo4j", tmp_path / "neo4j")
    delimiter = next(a.split("=", 1)[1] for a in _admin_args(tmp_path / "neo4j", tmp_path)
                     if a.startswith("--array-delimiter="))
    assert delimiter == "|"  # ';' is in an alias: the next delimiter no value holds
    header, rows = _read_csv(tmp_path / "neo4j" / "nodes" / "Paper.csv")
    row = next(r for r in rows if r[0] == paper)
    assert row[header.index("title")] == NASTY and row[header.index("abstract")] == NASTY + "\r\n" + NASTY
    ctype = h.nodes[concept]["type"]
    header, rows = _read_csv(tmp_path / "neo4j" / "nodes" / f"{ctype}.csv")
    row = next(r for r in rows if r[0] == concept)
    assert row[header.index("aliases:string[]")].split(delimiter) == aliases
    assert row[1] == f"Concept{delimiter}{ctype}"
    cypher = {r["id"]: r for r in _cypher_rows(tmp_path / "neo4j") if "id" in r}
    assert cypher[paper]["title"] == NASTY and cypher[concept]["aliases"] == aliases

    [path] = export_graph(h, "cytoscape", tmp_path / "kg.cyjs")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert next(n["data"] for n in data["elements"]["nodes"] if n["data"]["id"] == paper)["title"] == NASTY
    [path] = export_graph(h, "node-link", tmp_path / "kg.json")
    back = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")))
    assert back.nodes[paper]["title"] == NASTY and back.nodes[concept]["aliases"] == aliases


def test_characters_xml_cannot_hold_become_the_replacement_character(nasty, tmp_path):
    h, paper, _ = nasty
    h = h.copy()
    h.nodes[paper]["title"] = "bell\x07 and \x0b vertical tab"
    want = "bell\ufffd and \ufffd vertical tab"
    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        [path] = export_graph(h, fmt, tmp_path / f"kg.{fmt}")
        assert read(path).nodes[paper]["title"] == want
    [path] = export_graph(h, "cytoscape", tmp_path / "kg.cyjs")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert next(n["data"] for n in data["elements"]["nodes"] if n["data"]["id"] == paper)["title"] == want


# ----------------------------------------------------------------------------- kg export

def test_cli_export(built, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["export", "--graph", str(built), "--format", "gexf"])
    assert result.exit_code == 0, result.output
    assert (built / "kg.gexf").exists() and f"wrote {built / 'kg.gexf'}" in result.stdout
    result = runner.invoke(app, ["export", "--graph", str(built), "-f", "neo4j", "-o", str(tmp_path / "n4")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "n4" / "import.sh").exists() and "files" in result.stdout
    for args, message in (
        (["--graph", str(built), "--format", "xml"], "kg export: unknown format 'xml': choose from graphml"),
        (["--graph", str(tmp_path / "missing"), "--format", "gexf"], "no such folder"),
        (["--graph", str(tmp_path), "--format", "gexf"], "cannot read the graph in"),
        (["--graph", str(built), "--format", "gexf", "-o", str(built / "kg.nt" / "x.gexf")], "cannot write"),
    ):
        result = runner.invoke(app, ["export", *args])
        assert result.exit_code == 2, result.output
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
