"""`kg push`: upload to a SPARQL 1.1 Graph Store Protocol server — a real `oxigraph serve` (PyPI `oxigraph`)
started by the test on 127.0.0.1; skipped with a reason where the binary is missing."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from graph_fixtures import small_graph
from rdflib import BNode

from kg.push import PushError, graph_store_url, push
from kg.rdf import to_rdf, write_rdf

GRAPH_IRI = "https://w3id.org/paperkg/"


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """`oxigraph serve` on a free port of 127.0.0.1 with an empty store; yields its base URL."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("needs the Oxigraph server binary (pip install oxigraph: it ships `oxigraph serve`)")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("oxigraph serve exited: " + proc.stderr.read().decode())
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()


def count(base: str, graph_iri: str | None = None, iris_only: bool = False) -> int:
    where = f"GRAPH <{graph_iri}> {{ ?s ?p ?o }}" if graph_iri else "?s ?p ?o"
    if iris_only:
        where += " FILTER (!isBlank(?s) && !isBlank(?o))"
    url = base + "/query?" + urllib.parse.urlencode({"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return int(json.loads(r.read())["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph")
    write_rdf(small_graph(), out)
    return out


def test_push_to_the_default_graph(oxigraph, graph_dir):
    n = len(to_rdf(small_graph()))
    result = push(graph_dir, oxigraph + "/store")
    assert result.method == "PUT" and 200 <= result.status < 300
    assert result.url == oxigraph + "/store?default" and result.source == graph_dir / "kg.nt"
    assert count(oxigraph) == n
    push(graph_dir, oxigraph + "/store")  # PUT again: replaced, not doubled
    assert count(oxigraph) == n


def test_push_to_a_named_graph_put_and_post(oxigraph, graph_dir, tmp_path):
    n = len(to_rdf(small_graph()))
    push(graph_dir / "kg.ttl", oxigraph + "/store", graph_iri=GRAPH_IRI)
    assert count(oxigraph, GRAPH_IRI) == n
    smaller = small_graph()
    smaller.remove_node("paper/arxiv-2401.00001")
    write_rdf(smaller, tmp_path, formats=("nt",))
    push(tmp_path, oxigraph + "/store", graph_iri=GRAPH_IRI)  # PUT replaces
    assert count(oxigraph, GRAPH_IRI) == len(to_rdf(smaller)) < n
    push(graph_dir, oxigraph + "/store", graph_iri=GRAPH_IRI, method="POST")  # POST adds (merges)
    # Blank nodes (the ordered author lists) are new in every document, so only IRI triples merge.
    without_lists = sum(1 for s, _, o in to_rdf(small_graph()) if not isinstance(s, BNode) and not isinstance(o, BNode))
    assert count(oxigraph, GRAPH_IRI, iris_only=True) == without_lists


def test_kg_push_command(oxigraph, graph_dir):
    run = subprocess.run([sys.executable, "-m", "kg", "push", "--endpoint", oxigraph + "/store", "--graph",
                          str(graph_dir), "--graph-iri", "https://example.org/cli"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "HTTP 20" in run.stdout and "PUT" in run.stdout
    assert count(oxigraph, "https://example.org/cli") == len(to_rdf(small_graph()))
    run = subprocess.run([sys.executable, "-m", "kg", "push", "--endpoint", oxigraph + "/nope", "--graph",
                          str(graph_dir)], capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "404" in run.stderr


def test_push_errors(oxigraph, graph_dir, tmp_path):
    with pytest.raises(PushError, match="404"):
        push(graph_dir, oxigraph + "/nope")
    with pytest.raises(PushError, match="cannot reach"):
        push(graph_dir, f"http://127.0.0.1:{free_port()}/store", timeout=5)
    with pytest.raises(PushError, match="http"):
        push(graph_dir, "file:///etc/passwd")
    with pytest.raises(PushError, match="no kg.nt or kg.ttl"):
        push(tmp_path, oxigraph + "/store")
    with pytest.raises(PushError, match="PUT .* or POST"):
        push(graph_dir, oxigraph + "/store", method="DELETE")
    with pytest.raises(PushError, match="absolute"):
        push(graph_dir, oxigraph + "/store", graph_iri="not an iri")


def test_graph_store_url():
    assert graph_store_url("http://localhost:3030/ds/data") == "http://localhost:3030/ds/data?default"
    assert (graph_store_url("http://localhost:7878/store", "https://w3id.org/paperkg/?a=b&c")
            == "http://localhost:7878/store?graph=https%3A%2F%2Fw3id.org%2Fpaperkg%2F%3Fa%3Db%26c")
    assert graph_store_url("http://h/rdf-graphs/service?x=1").endswith("?x=1&default")
