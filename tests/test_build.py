"""End to end: `kg build` on the real demo corpus, then query, stats, RDF parsers and a real browser."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from browser import open_page

OUTPUTS = ("kg.ttl", "kg.nt", "kg.jsonld", "graph.html")


def kg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("build")
    run = kg("build", str(corpus), "--output", str(out))
    return out, run.stdout


def test_build_reports_papers_and_duplicates(built):
    out, summary = built
    assert "papers" in summary and "482" in summary
    assert "duplicates merged" in summary and "39" in summary
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0


def test_query_counts_papers_not_concepts(built):
    out, _ = built
    run = kg("query", "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p dcterms:title ?t }",
             "--graph", str(out), "--format", "csv")
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows == [["n"], ["482"]]
    run = kg("query", "ASK { ?c skos:prefLabel ?l ; dcterms:title ?t }", "--graph", str(out), "--format", "json")
    assert json.loads(run.stdout)["boolean"] is False


def test_fedloge_links_in_the_graph(built):
    out, _ = built
    q = """SELECT ?rel ?label WHERE {
        ?p dcterms:title "FedLoGe: Joint Local and Generic Federated Learning under Long-tailed Data" ;
           ?rel ?c . ?c skos:prefLabel ?label }"""
    rows = {(r["rel"].rsplit("#", 1)[-1], r["label"]) for r in
            csv.DictReader(io.StringIO(kg("query", q, "--graph", str(out), "--format", "csv").stdout))}
    for ds in ("CIFAR-10-LT", "CIFAR-100-LT", "ImageNet", "iNaturalist"):
        assert ("evaluatesOn", ds) in rows
    assert any(rel == "proposes" and "Fed-LT" in label or label == "FedLoGe" for rel, label in rows
               if rel == "proposes")


def test_named_query_and_stats(built):
    out, _ = built
    run = kg("query", "papers-using-dataset", "--param", "dataset=imagenet", "--graph", str(out), "--format", "json")
    bindings = json.loads(run.stdout)["results"]["bindings"]
    assert len(bindings) >= 10
    stats = kg("stats", "--graph", str(out)).stdout
    assert "482" in stats and "concepts: Dataset" in stats


def test_rdf_parses_with_rdflib_and_oxigraph(built):
    import pyoxigraph
    import rdflib

    out, _ = built
    g = rdflib.Graph().parse(out / "kg.ttl", format="turtle")
    assert len(g) > 10_000
    store = pyoxigraph.Store()
    store.load(path=str(out / "kg.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(g)
    rdflib.Graph().parse(out / "kg.jsonld", format="json-ld")


def test_rebuild_is_byte_identical(built, corpus, tmp_path):
    out, _ = built
    kg("build", str(corpus), "--output", str(tmp_path))
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_view_opens_offline_without_errors(built, chromium):
    out, _ = built
    page, log = open_page(chromium, out / "graph.html")
    assert page.evaluate("network.body.data.nodes.length") > 100
    assert log.errors == [] and log.foreign_requests == []


def test_bad_input_is_reported_and_the_rest_is_built(tmp_path, corpus):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.jsonl").write_text(
        json.dumps({"id": "1", "title": "Tuning BERT", "abstract": "We fine-tune BERT on GLUE."}) + "\n"
        + "{broken\n"
        + json.dumps({"id": "3", "title": "No abstract"}) + "\n", encoding="utf-8")
    (src / "latin1.jsonl").write_bytes(
        json.dumps({"id": "4", "title": "Caf\u00e9 models", "abstract": "We use ResNet-50."}).encode("latin-1")
        .replace(b"\\u00e9", b"\xe9") + b"\n")
    out = tmp_path / "out"
    run = kg("build", str(src), "--output", str(out))
    assert f"{src / 'good.jsonl'}:2" in run.stderr
    assert f"{src / 'good.jsonl'}:3" in run.stderr and "missing abstract" in run.stderr
    assert f"{src / 'latin1.jsonl'}:1" in run.stderr and "UTF-8" in run.stderr
    assert "problems" in run.stdout
    assert (out / "problems.log").read_text().count("\n") == 3
    assert kg("query", "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }", "--graph", str(out),
              "--format", "csv").stdout.split() == ["n", "1"]
    strict = kg("build", str(src), "--output", str(out), "--strict", check=False)
    assert strict.returncode == 1
    missing = kg("build", str(tmp_path / "nope.jsonl"), "--output", str(out), "--strict", check=False)
    assert missing.returncode == 1 and "nope.jsonl" in missing.stderr
