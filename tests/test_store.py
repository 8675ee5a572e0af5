"""The persisted Oxigraph store (kg.store.persist_store): built by `kg build`, opened read-only without parsing,
replaced atomically, detected when stale; result caps; the same answers as the in-memory backends."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from graph_fixtures import small_graph

from kg.rdf import write_rdf
from kg.store import (
    STORE_DIR,
    OxigraphStore,
    QueryError,
    ResultTooLarge,
    list_named_queries,
    open_store,
    persist_store,
    run_query,
    store_status,
)

PARAMS = {"papers-using-dataset": {"dataset": "ImageNet"}, "concepts-proposed-by": {"paper": "2403.12345"},
          "papers-sharing-concepts": {"paper": "2403.12345"}, "related-papers": {"paper": "2403.12345"}}


def kg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, check=False)
    if check:
        assert run.returncode == 0, run.stderr
    return run


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".store"))


@pytest.fixture()
def small(tmp_path) -> Path:
    write_rdf(small_graph(), tmp_path)
    persist_store(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- the store of a build

def test_build_persists_a_current_store(demo):
    assert (demo / STORE_DIR).is_dir() and store_status(demo) == "current"
    store = open_store(demo)
    assert isinstance(store, OxigraphStore) and store.persisted and store.source == demo / STORE_DIR
    assert len(store) == len(open_store(demo, backend="oxigraph-memory")) > 100_000
    assert leftovers(demo) == []


def test_store_answers_every_named_query_like_the_other_backends(demo, small):
    disk, memory = open_store(demo, backend="oxigraph-disk"), open_store(demo, backend="oxigraph-memory")
    for name in list_named_queries():
        expected = run_query(memory, name, PARAMS.get(name)).rows
        assert run_query(disk, name, PARAMS.get(name)).rows == expected, name
    # rdflib takes seconds to minutes per named query on the demo graph (bench/README.md): compare on the small one.
    small_disk, small_rdflib = open_store(small, backend="oxigraph-disk"), open_store(small, backend="rdflib")
    for name in list_named_queries():
        expected = run_query(small_rdflib, name, PARAMS.get(name)).rows
        if name in ("papers-sharing-concepts", "related-papers"):  # GROUP_CONCAT order differs between engines
            expected = [r[:-1] for r in expected]
            assert [r[:-1] for r in run_query(small_disk, name, PARAMS.get(name)).rows] == expected
        else:
            assert run_query(small_disk, name, PARAMS.get(name)).rows == expected, name
    papers = "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }"
    assert run_query(disk, papers).rows == run_query(open_store(demo, backend="rdflib"), papers).rows == [("482",)]


def test_parameterless_named_queries_are_materialised_with_the_store(demo):
    from kg.store import STORE_RESULTS, load_named_query, named_query_params

    assert (demo / STORE_DIR / STORE_RESULTS).is_file()
    store = open_store(demo)
    computed = open_store(demo)
    computed.use_materialized = False
    names = [n for n in list_named_queries() if not named_query_params(load_named_query(n))]
    assert {"top-datasets", "top-models", "top-methods"} <= set(names)
    for name in names:
        text = load_named_query(name)
        assert store._cached(text) is not None, name
        assert run_query(store, name).to_json() == run_query(computed, name).to_json(), name
    assert store._cached(load_named_query("top-models") + " ") is None  # any other text is computed
    with pytest.raises(ResultTooLarge):
        store.query(load_named_query("top-models"), max_rows=3)


def test_kg_query_and_stats_use_the_store(demo):
    rows = list(csv.reader(io.StringIO(kg("query", "top-datasets", "--graph", str(demo), "--format", "csv").stdout)))
    assert rows[0] == ["concept", "label", "used", "papers"] and len(rows) > 5
    assert "482" in kg("stats", "--graph", str(demo)).stdout


def test_store_is_read_only(small):
    store = open_store(small)
    assert store.persisted
    before = len(store)
    with pytest.raises(QueryError):
        run_query(store, "INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }")
    with pytest.raises(Exception, match="read-write|read-only|Transaction"):
        store.store.update("INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }")
    assert len(open_store(small)) == before


# ----------------------------------------------------------------------------- freshness

def test_a_rewritten_graph_makes_the_store_stale_and_queries_still_right(small):
    g = small_graph()
    g.remove_node("paper/arxiv-2401.00001")
    write_rdf(g, small)
    assert store_status(small).startswith("stale")
    store = open_store(small)
    assert not store.persisted and store.source == small / "kg.nt"
    assert run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows == [("2",)]
    with pytest.raises(QueryError, match="stale"):
        open_store(small, backend="oxigraph-disk")
    kg("store", "--graph", str(small))
    assert store_status(small) == "current" and open_store(small).persisted


def test_a_copied_graph_keeps_its_store(small, tmp_path_factory):
    copy = tmp_path_factory.mktemp("copy") / "graph"
    shutil.copytree(small, copy)  # new modification times, same content
    os.utime(copy / "kg.nt", ns=(1, 1))
    assert store_status(copy) == "current" and open_store(copy).persisted


def test_missing_store(tmp_path):
    write_rdf(small_graph(), tmp_path)
    assert store_status(tmp_path) == "missing"
    assert not open_store(tmp_path).persisted
    with pytest.raises(QueryError, match="missing"):
        open_store(tmp_path, backend="oxigraph-disk")


# ----------------------------------------------------------------------------- atomic replacement

def test_rebuilding_replaces_the_store_atomically(small):
    reader = open_store(small)  # a reader holding the old store open (e.g. `kg serve`)
    g = small_graph()
    g.remove_node("paper/arxiv-2401.00001")
    write_rdf(g, small)
    persist_store(small)
    assert leftovers(small) == []
    assert run_query(open_store(small), "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows == [("2",)]
    # The old reader keeps answering from the store it opened.
    assert run_query(reader, "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows == [("3",)]


def test_leftovers_of_a_killed_build_are_removed(small):
    import pyoxigraph

    dead = small / ".store.killed.tmp"
    pyoxigraph.Store(str(dead)).add(pyoxigraph.Quad(pyoxigraph.NamedNode("http://x/s"), pyoxigraph.NamedNode("http://x/p"),
                                                     pyoxigraph.Literal("o")))
    gc_collect()
    (small / ".store.empty.old").mkdir()
    persist_store(small)
    assert leftovers(small) == []


def gc_collect() -> None:
    import gc

    gc.collect()


def test_swap_without_renameat2(small, monkeypatch):
    import kg.io

    monkeypatch.setattr(kg.io, "_exchange", lambda a, b: False)
    persist_store(small)
    assert leftovers(small) == [] and open_store(small).persisted


def test_a_failed_build_leaves_the_old_store_usable(small):
    bad = small / "broken.nt"
    bad.write_text("<http://x/s> <http://x/p> this is not N-Triples .\n", encoding="utf-8")
    with pytest.raises(QueryError, match="cannot load"):
        persist_store(small, source=bad)
    assert leftovers(small) == []
    assert store_status(small) == "current"
    assert run_query(open_store(small), "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows == [("3",)]


def test_the_store_loaded_in_batches_holds_every_triple_and_locates_errors_in_the_file(demo, tmp_path, monkeypatch):
    """The graph file is bulk-loaded a batch of quads at a time (memory stays flat however large the
    graph): the store holds the same triples as the file, each blank node of a reason list one node
    across batches, and a bad line is reported with its line in the file."""
    import shutil

    import pyoxigraph

    import kg.store

    def loaded(folder: Path, batch: int) -> set[str]:
        folder.mkdir()
        shutil.copy(demo / "kg.nt", folder / "kg.nt")
        monkeypatch.setattr(kg.store, "STORE_LOAD_BATCH", batch)
        persist_store(folder)
        assert open_store(folder).persisted
        store = pyoxigraph.Store.read_only(str(folder / "store"))
        triples = {str(pyoxigraph.Triple(q.subject, q.predicate, q.object)) for q in store}
        del store
        return triples

    whole = loaded(tmp_path / "whole", 10**9)
    folder = tmp_path / "batched"
    # about 170 batches; blank nodes keep the file's labels, so a reason list split across batches is
    # still one chain (a bulk load of each piece would give each piece its own blank nodes)
    assert loaded(folder, 1_000) == whole
    lines = (folder / "kg.nt").read_bytes().splitlines(keepends=True)
    assert len(whole) == len(lines) > 150_000
    bad = folder / "bad.nt"
    at = 120_000
    bad.write_bytes(b"".join(lines[:at]) + b"<http://x/s> <http://x/p> this is not N-Triples .\n" + b"".join(lines[at:]))
    with pytest.raises(QueryError, match=f"line {at + 1}\\b"):
        persist_store(folder, source=bad)


# ----------------------------------------------------------------------------- result caps

@pytest.mark.parametrize("backend", ["oxigraph-disk", "oxigraph-memory", "rdflib"])
def test_max_rows(small, backend):
    store = open_store(small, backend=backend)
    with pytest.raises(ResultTooLarge, match="more than 5 rows"):
        store.query("SELECT * WHERE { ?s ?p ?o }", max_rows=5)
    with pytest.raises(ResultTooLarge):
        store.query("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=5)
    assert len(store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 5", max_rows=5)) == 5
    assert store.query("ASK { ?s ?p ?o }", max_rows=0).boolean is True


def test_papers_sharing_concepts_keeps_the_top_50_and_their_ties(demo):
    """Checked against counts from the graph itself, for the demo paper with the most co-linked papers."""
    from collections import Counter

    from kg.graph import RELATIONS
    from kg.related import RELATED_MAX_PAPERS
    from kg.rdf import node_iri, read_rdf
    from kg.store import load_named_query

    assert "FILTER (?c_papers <= 200)" in load_named_query("papers-sharing-concepts")
    assert RELATED_MAX_PAPERS == 200  # the bound the query text repeats
    g = read_rdf(demo / "kg.nt")
    # Only specific concepts count: those at most RELATED_MAX_PAPERS papers hold (the query's 200).
    specific = {c for c, d in g.nodes(data=True) if d.get("kind") == "Concept" and d["paper_count"] <= 200}
    concepts_of = {p: {v for _, v, k in g.out_edges(p, keys=True) if k in RELATIONS and v in specific}
                   for p, d in g.nodes(data=True) if d.get("kind") == "Paper"}
    papers_of: dict[str, set[str]] = {}
    for p, cs in concepts_of.items():
        for c in cs:
            papers_of.setdefault(c, set()).add(p)

    def shared(p: str) -> Counter:
        return Counter(o for c in concepts_of[p] for o in papers_of[c] if o != p)

    paper = max(sorted(concepts_of), key=lambda p: len(shared(p)))
    counts = shared(paper)
    assert len(counts) > 50  # the demo has such papers, so the cut is exercised
    cut = sorted(counts.values(), reverse=True)[49]
    expected = {str(node_iri(o)): n for o, n in counts.items() if n >= cut}
    for backend in ("oxigraph", "rdflib"):
        rows = run_query(open_store(demo, backend=backend), "papers-sharing-concepts",
                         {"paper": str(node_iri(paper))}).rows
        assert {r[2]: int(r[4]) for r in rows} == expected, backend
        assert [int(r[4]) for r in rows] == sorted((int(r[4]) for r in rows), reverse=True)


def test_papers_sharing_concepts_counts_only_specific_concepts(tmp_path):
    """A concept 201 papers hold does not make them related; one 3 papers hold does."""
    import networkx as nx

    from kg.rdf import node_iri

    g = nx.MultiDiGraph()
    common, rare = "concept/dataset/imagenet", "concept/method/rare-trick"
    g.add_node(common, kind="Concept", type="Dataset", label="ImageNet", aliases=["ImageNet"], paper_count=201)
    g.add_node(rare, kind="Concept", type="Method", label="Rare Trick", aliases=["Rare Trick"], paper_count=3)
    for i in range(201):
        paper = f"paper/p{i:03d}"
        g.add_node(paper, kind="Paper", title=f"Paper {i:03d}")
        g.add_edge(paper, common, key="evaluatesOn", relation="evaluatesOn")
        if i < 3:
            g.add_edge(paper, rare, key="uses", relation="uses")
    write_rdf(g, tmp_path, formats=("nt",))
    persist_store(tmp_path)
    for backend in ("oxigraph", "rdflib"):
        rows = run_query(open_store(tmp_path, backend=backend), "papers-sharing-concepts", {"paper": "paper/p000"}).rows
        assert [(r[2], r[4], r[5]) for r in rows] == [(str(node_iri("paper/p001")), "1", "Rare Trick"),
                                                     (str(node_iri("paper/p002")), "1", "Rare Trick")], backend
        assert run_query(open_store(tmp_path, backend=backend), "papers-sharing-concepts",
                         {"paper": "paper/p100"}).rows == [], backend


# ----------------------------------------------------------------------------- loaded beside the build

def test_build_with_two_jobs_loads_the_store_beside_the_other_files(demo, tmp_path):
    """`jobs` > 1: the store is loaded by a child process while the build writes Turtle, JSON-LD and the
    rest (kg.store_loader); every file is byte for byte the one-process build's, the store as current."""
    from kg.build import build, demo_corpus
    from kg.extract.cache import CACHE_FILE

    cache = demo / CACHE_FILE  # the demo build's extractions: this test is about what comes after
    _, report = build([demo_corpus()], tmp_path / "two", jobs=2, html=False, cache=cache)
    _, alone = build([demo_corpus()], tmp_path / "one", jobs=1, html=False, cache=cache)
    for name in ("kg.nt", "kg.ttl", "kg.jsonld"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert store_status(tmp_path / "two") == "current" and leftovers(tmp_path / "two") == []
    assert list(report.outputs) == list(alone.outputs) and report.outputs["store"] == tmp_path / "two" / STORE_DIR
    assert report.timings["load store"].seconds > 0
    query = "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY ?t"
    assert run_query(open_store(tmp_path / "two"), query).rows == run_query(open_store(tmp_path / "one"), query).rows


def test_a_graph_sorted_in_runs_loads_the_store_from_the_runs_as_they_are_written(demo, tmp_path, monkeypatch):
    """A kg.nt too big to sort in memory is sorted in runs on disk (kg.rdf); with `jobs` > 1 the child
    loads each run as soon as it is written, before kg.nt is complete: the store is the one loaded from
    kg.nt, it is current, and no run is left behind."""
    import pyoxigraph

    import kg.rdf
    from kg.build import build, demo_corpus
    from kg.extract.cache import CACHE_FILE
    from kg.store import STORE_META, STORE_RESULTS
    from kg.store_loader import BackgroundLoad

    monkeypatch.setattr(kg.rdf, "_SORT_BUDGET", 1 << 20)  # the demo graph in about 8 runs
    fed = []
    feed = BackgroundLoad.feed
    monkeypatch.setattr(BackgroundLoad, "feed", lambda self, path: (fed.append(path.name), feed(self, path))[1])
    cache = demo / CACHE_FILE
    build([demo_corpus()], tmp_path / "two", jobs=2, html=False, cache=cache)
    build([demo_corpus()], tmp_path / "one", jobs=1, html=False, cache=cache)
    assert len(fed) > 3 and fed == sorted(set(fed))
    two, one = tmp_path / "two", tmp_path / "one"
    assert (two / "kg.nt").read_bytes() == (one / "kg.nt").read_bytes()
    assert store_status(two) == "current" and leftovers(two) == []
    assert sorted(p.name for p in two.iterdir() if p.name.startswith(".")) == sorted(
        p.name for p in one.iterdir() if p.name.startswith("."))  # the runs' folder is gone
    metas = [json.loads((d / STORE_DIR / STORE_META).read_text()) for d in (two, one)]
    assert [{k: v for k, v in m.items() if k != "mtime_ns"} for m in metas] == [
        {k: v for k, v in metas[1].items() if k != "mtime_ns"}] * 2  # triples, kg.nt's size and digest
    assert (two / STORE_DIR / STORE_RESULTS).read_text() == (one / STORE_DIR / STORE_RESULTS).read_text()
    stores = [pyoxigraph.Store.read_only(str(d / STORE_DIR)) for d in (two, one)]
    # every triple, blank nodes by their labels in kg.nt: a reason list split across runs is one chain
    held = [{str(pyoxigraph.Triple(q.subject, q.predicate, q.object)) for q in st} for st in stores]
    del stores
    assert held[0] == held[1] and len(held[0]) > 150_000


def test_a_background_load_that_fails_says_why(tmp_path):
    from kg.store_loader import BackgroundLoad

    (tmp_path / "kg.nt").write_text("<http://x/s> <http://x/p> <http://x/o> .\n<http://x/s> <http://x/p> oops .\n",
                                    encoding="utf-8")
    with pytest.raises(QueryError, match=r"cannot load .*kg\.nt.*line 2"):
        BackgroundLoad(tmp_path).wait()
    assert not (tmp_path / STORE_DIR).exists() and leftovers(tmp_path) == []


def test_a_fed_background_load_that_fails_names_the_run_and_leaves_nothing(tmp_path):
    """A run that does not parse stops the fed load: `wait` names the run and its line, feeding after the
    child stopped is harmless, and neither a store nor a run is left in the folder."""
    from kg.store_loader import BackgroundLoad

    good, bad, later = (tmp_path / f"run-0000{k}.nt" for k in range(3))
    good.write_text("<http://x/s> <http://x/p> <http://x/o> .\n", encoding="utf-8")
    later.write_text("<http://x/t> <http://x/p> <http://x/o> .\n", encoding="utf-8")
    bad.write_text("<http://x/s> <http://x/q> <http://x/o> .\n<http://x/s> <http://x/p> oops .\n", encoding="utf-8")
    out = tmp_path / "graph"
    out.mkdir()
    load = BackgroundLoad(out, fed=True)
    load.feed(good)
    load.feed(bad)
    load.feed(later)
    (out / "kg.nt").write_bytes(good.read_bytes() + bad.read_bytes() + later.read_bytes())
    load.finish()
    with pytest.raises(QueryError, match=r"cannot load .*run-00001\.nt.*line 2"):
        load.wait()
    assert not (out / STORE_DIR).exists() and leftovers(out) == [] and sorted(os.listdir(out)) == ["kg.nt"]
    assert good.exists() and bad.exists() and later.exists()  # the caller's own files


def test_a_run_fed_twice_is_an_error(tmp_path):
    """A second run under a name already fed is refused (it was copied onto itself: SameFileError)."""
    from kg.store_loader import BackgroundLoad

    run = tmp_path / "run-00000.nt"
    run.write_text("<http://x/s> <http://x/p> <http://x/o> .\n", encoding="utf-8")
    out = tmp_path / "graph"
    out.mkdir()
    load = BackgroundLoad(out, fed=True)
    try:
        load.feed(run)
        with pytest.raises(FileExistsError):
            load.feed(run)
    finally:
        load.cancel()
    assert not (out / ".kg-nt-runs").exists() and run.exists()  # a cancelled load's store is the caller's to discard


def test_a_cancelled_background_load_stops(demo, tmp_path):
    from kg.store_loader import BackgroundLoad

    shutil.copy(demo / "kg.nt", tmp_path / "kg.nt")
    load = BackgroundLoad(tmp_path)
    load.cancel()
    assert load._proc.returncode is not None and not (tmp_path / STORE_DIR).exists()
