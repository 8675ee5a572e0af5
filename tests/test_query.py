"""SPARQL over built graph directories (kg.store): backends, named queries, parameters, errors, formats."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
import rdflib

from graph_fixtures import (CIFAR, CONTRASTIVE, GBRL, GBRL_PAPER, IMAGENET, OLD_PAPER, RESNET, VIT, VIT_PAPER,
                            small_graph)
from kg.rdf import BASE, ontology_path, write_rdf
from kg.store import (BACKENDS, KGStore, OxigraphStore, QueryError, QueryResult, RdflibStore, substitute_params,
                      list_named_queries, load_named_query, named_query_params, open_store, register_backend,
                      run_query)
from listener import Listener

BACKEND_NAMES = ["oxigraph", "rdflib"]
NAMED = {"papers-using-dataset", "top-datasets", "top-models", "top-methods", "concepts-proposed-by",
         "papers-sharing-concepts"}
VIT_TITLE = "Vision Transformers for Long-Tailed Recognition"
OLD_TITLE = "Scaling Vision Transformers"
GBRL_TITLE = 'Gradient Boosted "Trees" for {RL}'
NASTY = [
    'x" } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o . FILTER("',
    "x' } ; DROP ALL #",
    '""" } UNION { ?s ?p ?o } #',
    "\\\" ) } #",
    "\\u0022 } ; DROP ALL",
    "imagenet\" || true || \"",
    "line\nbreak\r\ttab \x01 ✓",
    "?dataset",
    "<https://w3id.org/paperkg/paper/arxiv-2403.12345>",
    "",
]


def iri(key: str) -> str:
    return BASE + key


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph")
    write_rdf(small_graph(), out)
    return out


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def store(request, graph_dir) -> KGStore:
    return open_store(graph_dir, backend=request.param)


# ----------------------------------------------------------------------------- stores

def test_backends_load_the_same_graph(graph_dir):
    ox, rd = open_store(graph_dir), open_store(graph_dir, backend="rdflib")
    assert isinstance(ox, OxigraphStore) and isinstance(rd, RdflibStore)
    assert isinstance(ox, KGStore) and isinstance(rd, KGStore)
    assert len(ox) == len(rd) > 0
    assert ox.source == rd.source == graph_dir / "kg.nt"


def test_turtle_is_used_without_ntriples(tmp_path, graph_dir):
    write_rdf(small_graph(), tmp_path, formats=("ttl",))
    for backend in BACKEND_NAMES:
        s = open_store(tmp_path, backend=backend)
        assert s.source == tmp_path / "kg.ttl"
        assert len(s) == len(open_store(graph_dir))


def test_register_backend(graph_dir):
    calls = []

    def opener(path: Path) -> KGStore:
        calls.append(path)
        return RdflibStore.open(path)

    register_backend("test-rdflib", opener)
    try:
        result = run_query(graph_dir, "ASK { ?p a kg:Paper }", backend="test-rdflib")
        assert result.boolean is True and calls == [graph_dir]
    finally:
        BACKENDS.pop("test-rdflib")
    with pytest.raises(QueryError, match="unknown store backend"):
        open_store(graph_dir, backend="nope")


def test_count_papers_counts_papers_only(store):
    result = run_query(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p dcterms:title ?t }")
    assert result.kind == "select" and result.columns == ["n"]
    assert result.rows == [("3",)]


def test_prefixes_are_bound_unless_declared(store):
    assert run_query(store, "ASK { ?c a kg:Dataset ; skos:prefLabel 'ImageNet' }").boolean is True
    declared = "PREFIX kg: <http://example.org/other#> ASK { ?c a kg:Dataset }"
    assert run_query(store, declared).boolean is False


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_run_query_accepts_a_directory_or_a_file(graph_dir, backend):
    assert run_query(graph_dir, "ASK { ?p a kg:Paper }", backend=backend).boolean is True
    for name in ("kg.ttl", "kg.nt", "kg.jsonld"):
        result = run_query(str(graph_dir / name), "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }", backend=backend)
        assert result.rows == [("3",)], name


# ----------------------------------------------------------------------------- named queries

def test_named_queries_are_listed_and_documented():
    named = list_named_queries()
    assert NAMED <= set(named)
    for name, description in named.items():
        text = load_named_query(name)
        assert text.startswith("# description: "), name
        assert description and description == text.splitlines()[0][len("# description: "):].strip()
        for line in text.splitlines()[1:]:
            if line.startswith("# param:"):
                assert " — " in line, line
    assert named_query_params("papers-using-dataset") == {
        "dataset": "name or alias of the dataset, in any case (e.g. ImageNet, ilsvrc-2012)"}
    assert set(named_query_params("concepts-proposed-by")) == {"paper"}
    assert set(named_query_params("papers-sharing-concepts")) == {"paper"}
    for name in ("top-datasets", "top-models", "top-methods"):
        assert named_query_params(name) == {}
    assert (ontology_path("queries") / "top-models.rq").read_text(encoding="utf-8") == load_named_query("top-models.rq")


@pytest.mark.parametrize("name", ["imagenet", "ImageNet", "ILSVRC-2012", "imagenet-1K", " ImageNet"])
def test_papers_using_dataset(store, name):
    result = run_query(store, "papers-using-dataset", {"dataset": name})
    assert result.columns == ["paper", "title", "relation", "dataset"]
    if name.startswith(" "):
        assert result.rows == []
        return
    assert result.rows == [
        (iri(GBRL_PAPER), GBRL_TITLE, "mentions", name),
        (iri(OLD_PAPER), OLD_TITLE, "evaluatesOn", name),
        (iri(VIT_PAPER), VIT_TITLE, "evaluatesOn", name),
    ]


def test_papers_using_dataset_only_matches_datasets(store):
    assert [r[:3] for r in run_query(store, "papers-using-dataset", {"dataset": "cifar10"}).rows] == [
        (iri(VIT_PAPER), VIT_TITLE, "evaluatesOn")]
    assert run_query(store, "papers-using-dataset", {"dataset": "ResNet-50"}).rows == []  # a Model
    assert run_query(store, "papers-using-dataset", {"dataset": "Image"}).rows == []  # no substring match


@pytest.mark.parametrize("name, expected", [
    ("top-datasets", [(IMAGENET, "ImageNet", "2", "3"), (CIFAR, "CIFAR-10", "1", "1")]),
    ("top-models", [(VIT, "Vision Transformer", "2", "2"), (RESNET, "ResNet-50", "1", "1")]),
    ("top-methods", [(CONTRASTIVE, "contrastive learning", "1", "1"), (GBRL, "GBRL", "1", "1")]),
])
def test_top_queries(store, name, expected):
    result = run_query(store, name)
    assert result.columns == ["concept", "label", "used", "papers"]
    assert result.rows == [(iri(key), *rest) for key, *rest in expected]


@pytest.mark.parametrize("paper", [
    "2403.12345", "arXiv:2403.12345v2", "ARXIV: 2403.12345", "https://arxiv.org/abs/2403.12345v1",
    "https://arxiv.org/pdf/2403.12345.pdf", iri(VIT_PAPER), VIT_PAPER, "long-tailed", "LONG-TAILED RECOGNITION",
])
def test_concepts_proposed_by(store, paper):
    result = run_query(store, "concepts-proposed-by", {"paper": paper})
    assert result.columns == ["paper", "paper_iri", "paper_title", "concept", "type", "label"]
    assert result.rows == [(paper, iri(VIT_PAPER), VIT_TITLE, iri(CONTRASTIVE), "Method", "contrastive learning")]


def test_concepts_proposed_by_other_papers(store):
    rows = run_query(store, "concepts-proposed-by", {"paper": "boosted"}).rows
    assert [(r[1], r[3], r[4], r[5]) for r in rows] == [(iri(GBRL_PAPER), iri(GBRL), "Method", "GBRL")]
    assert run_query(store, "concepts-proposed-by", {"paper": "2401.00001"}).rows == []  # proposes nothing
    assert run_query(store, "concepts-proposed-by", {"paper": "2403.1234"}).rows == []  # not a prefix match
    assert run_query(store, "concepts-proposed-by", {"paper": "no such paper"}).rows == []


def test_papers_sharing_concepts(store):
    result = run_query(store, "papers-sharing-concepts", {"paper": "2403.12345"})
    assert result.columns == ["paper", "paper_iri", "other", "other_title", "shared", "concepts"]
    rows = [(r[1], r[2], r[3], r[4], set(r[5].split(" | "))) for r in result.rows]
    assert rows == [
        (iri(VIT_PAPER), iri(OLD_PAPER), OLD_TITLE, "2", {"ImageNet", "Vision Transformer"}),
        (iri(VIT_PAPER), iri(GBRL_PAPER), GBRL_TITLE, "1", {"ImageNet"}),
    ]
    rows = run_query(store, "papers-sharing-concepts", {"paper": "gradient boosted"}).rows
    assert [(r[2], r[4]) for r in rows] == [(iri(OLD_PAPER), "1"), (iri(VIT_PAPER), "1")]


def test_named_query_parameter_errors(store):
    with pytest.raises(QueryError, match="needs parameter.*dataset"):
        run_query(store, "papers-using-dataset")
    with pytest.raises(QueryError, match="has no parameter"):
        run_query(store, "top-datasets", {"dataset": "x"})
    with pytest.raises(QueryError, match="unknown named query"):
        load_named_query("no-such-query")
    with pytest.raises(QueryError, match="unknown named query"):
        load_named_query("../kg")


# ----------------------------------------------------------------------------- parameters

@pytest.mark.parametrize("value", NASTY)
def test_parameters_are_harmless_literals(store, value):
    before = len(store)
    # A named query: the value is compared as a name and matches nothing.
    assert run_query(store, "papers-using-dataset", {"dataset": value}).rows == []
    # Projected (Oxigraph substitutes) and not projected (substitute_params): the value comes back intact.
    assert run_query(store, "SELECT ?q WHERE { }", {"q": value}).rows == [(value,)]
    echoed = run_query(store, "SELECT ?v WHERE { BIND(STR(?q) AS ?v) }", {"q": value})
    assert echoed.rows == [(value,)]
    counted = run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s dcterms:title ?t FILTER(?t = ?q) }", {"q": value})
    assert counted.rows == [("0",)]
    assert run_query(store, "ASK { ?s dcterms:title ?q }", {"q": value}).boolean is False
    assert len(store) == before


def test_parameters_bind_real_values(store):
    result = run_query(store, "SELECT ?p WHERE { ?p dcterms:title ?t FILTER(?t = ?title) }", {"title": GBRL_TITLE})
    assert result.rows == [(iri(GBRL_PAPER),)]
    assert run_query(store, "ASK { ?p dcterms:title $title }", {"title": GBRL_TITLE}).boolean is True
    constructed = run_query(store, "CONSTRUCT { ?p rdfs:label ?title } WHERE { ?p dcterms:title ?title }",
                            {"title": GBRL_TITLE})
    assert constructed.rows == [(iri(GBRL_PAPER), "http://www.w3.org/2000/01/rdf-schema#label", GBRL_TITLE)]


def test_parameter_checks(store):
    with pytest.raises(QueryError, match="not used in the query"):
        run_query(store, "SELECT ?s WHERE { ?s ?p ?o }", {"missing": "x"})
    with pytest.raises(QueryError, match="invalid parameter name"):
        run_query(store, "SELECT ?s WHERE { ?s ?p ?o }", {"s }": "x"})
    with pytest.raises(QueryError, match="must be a string"):
        run_query(store, "SELECT ?s WHERE { ?s ?p ?o }", {"s": 3})


@pytest.mark.parametrize("query", [
    "SELECT ?v WHERE { BIND(?q AS ?v) }",
    "SELECT ?v { BIND($q AS ?v) BIND(1 AS ?qq) }",
    "PREFIX ex: <http://example.org/?q#x> # a comment with ?q and {\nSELECT ?v WHERE { BIND(?q AS ?v) }",
    'SELECT ("?q" AS ?b) ?v WHERE { BIND(?q AS ?v) }',
    "SELECT ?v WHERE { { SELECT ?x WHERE { BIND(1 AS ?x) } } OPTIONAL { BIND(?q AS ?v) } }",
    'SELECT ?v WHERE { BIND(CONCAT("""?q}""", ?q) AS ?w) BIND(SUBSTR(?w, 4) AS ?v) }',
])
def test_substitute_params_gives_one_literal_token(query):
    # The fallback for variables Oxigraph will not substitute itself, checked with Oxigraph's parser.
    store = pyoxigraph.Store()
    for value in NASTY:
        text = substitute_params(query, {"q": value})
        solutions = list(store.query(text))
        assert [sol["v"].value for sol in solutions] == [value]
        if "?b" in query:
            assert solutions[0]["b"].value == "?q"


def test_substitute_params_in_other_forms():
    text = substitute_params("CONSTRUCT { <http://x/s> <http://x/p> ?q } WHERE { }", {"q": 'a"}'})
    assert [t.object.value for t in pyoxigraph.Store().query(text)] == ['a"}']
    assert substitute_params("ASK { ?s ?p ?q2 }", {"q": "x"}) == "ASK { ?s ?p ?q2 }"
    assert substitute_params("ASK { ?s ?p ?q }", {}) == "ASK { ?s ?p ?q }"


# ----------------------------------------------------------------------------- errors

def test_syntax_error_is_a_query_error(store):
    with pytest.raises(QueryError, match="SPARQL syntax error") as info:
        run_query(store, "SELECT ?s WHERE { ?s ?p ")
    assert str(info.value).strip() != "SPARQL syntax error:"
    with pytest.raises(QueryError):
        run_query(store, "SELECT ?s WHERE { ?s nope:p ?o }")  # unknown prefix
    with pytest.raises(QueryError):
        run_query(store, "DROP ALL")  # updates are not queries
    with pytest.raises(QueryError, match="empty query"):
        run_query(store, "   ")


def test_missing_graph_directory(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(QueryError, match="nowhere"):
        run_query(missing, "ASK { ?s ?p ?o }")
    with pytest.raises(QueryError, match="no kg.nt or kg.ttl"):
        open_store(tmp_path)


# ----------------------------------------------------------------------------- formats

def test_select_csv_and_json(store):
    result = run_query(store, "SELECT ?p ?t ?arxiv WHERE { ?p dcterms:title ?t OPTIONAL { ?p fabio:hasArXivId ?arxiv } }"
                              " ORDER BY ?t")
    assert result.rows[0] == (iri(GBRL_PAPER), GBRL_TITLE, None)
    text = result.to_csv()
    assert text.startswith("p,t,arxiv\r\n")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1] == [iri(GBRL_PAPER), GBRL_TITLE, ""]
    assert len(parsed) == 4
    data = json.loads(result.to_json())
    assert data["head"]["vars"] == ["p", "t", "arxiv"]
    first = data["results"]["bindings"][0]
    assert first == {"p": {"type": "uri", "value": iri(GBRL_PAPER)}, "t": {"type": "literal", "value": GBRL_TITLE}}
    assert data["results"]["bindings"][1]["arxiv"] == {"type": "literal", "value": "2401.00001"}
    assert result.as_dicts()[1]["arxiv"] == "2401.00001"


def test_typed_literals_in_json(store):
    result = run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }")
    binding = json.loads(result.to_json())["results"]["bindings"][0]["n"]
    assert binding == {"type": "literal", "value": "3", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}


def test_ask_formats(store):
    result = run_query(store, "ASK { ?p a kg:Paper }")
    assert result.kind == "ask" and result.boolean is True
    assert json.loads(result.to_json()) == {"head": {}, "boolean": True}
    assert result.to_csv() == "boolean\r\ntrue\r\n"


def test_construct_formats(store):
    result = run_query(store, "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c a kg:Dataset ; skos:prefLabel ?l }")
    assert result.kind == "graph" and result.columns == ["subject", "predicate", "object"]
    assert sorted(result.rows) == [
        (iri(CIFAR), "http://www.w3.org/2000/01/rdf-schema#label", "CIFAR-10"),
        (iri(IMAGENET), "http://www.w3.org/2000/01/rdf-schema#label", "ImageNet"),
    ]
    parsed = rdflib.Graph().parse(data=result.to_json(), format="nt")
    assert len(parsed) == 2
    assert result.to_csv().startswith("subject,predicate,object\r\n")


def test_result_is_a_plain_dataclass():
    result = QueryResult("select", ["a"], [])
    assert result.rows == [] and len(result) == 0
    assert json.loads(result.to_json()) == {"head": {"vars": ["a"]}, "results": {"bindings": []}}


@pytest.mark.parametrize("name, params", [
    ("papers-using-dataset", {"dataset": "ILSVRC-2012"}),
    ("papers-using-dataset", {"dataset": "cifar10"}),
    ("concepts-proposed-by", {"paper": "arXiv:2403.12345v2"}),
    ("concepts-proposed-by", {"paper": iri(VIT_PAPER)}),
    ("concepts-proposed-by", {"paper": "long-tailed"}),
    ("papers-sharing-concepts", {"paper": VIT_PAPER}),
    ("papers-sharing-concepts", {"paper": "gradient boosted"}),
    ("papers-sharing-concepts", {"paper": "no such paper"}),
])
def test_named_queries_answer_the_same_as_their_plain_text(store, name, params):
    # run_query binds index keys (?dataset_key, ?paper_iri) for named queries; the text alone,
    # with only the declared parameter, must give the same answer (just by scanning).
    def rows(result):
        return [r[:-1] + (sorted(r[-1].split(" | ")),) if name == "papers-sharing-concepts" else r
                for r in result.rows]

    named = run_query(store, name, params)
    plain = store.query(load_named_query(name), params)
    assert named.columns == plain.columns and rows(named) == rows(plain)


def test_stores_bind_iris(store):
    paper = iri(VIT_PAPER)
    assert store.query("SELECT ?p WHERE { ?p a kg:Paper }", iris={"p": paper}).rows == [(paper,)]
    # not projected: Oxigraph cannot substitute it, so it goes into the text as a validated <IRI>
    assert store.query("SELECT ?t WHERE { ?p dcterms:title ?t }", iris={"p": paper}).rows == [(VIT_TITLE,)]
    assert store.query("SELECT ?t WHERE { ?p dcterms:title ?t }", iris={"p": iri("paper/none")}).rows == []
    for bad in ["not an iri", "https://x.org/a> } ; DROP ALL #", 'https://x.org/"a']:
        with pytest.raises(QueryError, match="not an IRI"):
            store.query("SELECT ?t WHERE { ?p dcterms:title ?t }", iris={"p": bad})


# ----------------------------------------------------------------------------- federated queries, parser limits (issue 14)

def kg_query(graph_dir: Path, sparql: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", "query", sparql, "--graph", str(graph_dir), *args],
                          capture_output=True, text=True, timeout=120)


def service_forms(url: str) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"ASK {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p trueSERVICE <{url}> {{}} }}",  # Oxigraph needs no word boundary
        f"SELECT * WHERE {{ ?s ?p 1SERVICE <{url}> {{}} }}",
        f"PREFIX : <{url}/> SELECT * WHERE {{ SERVICE:x {{}} }}",
        f"SELECT * WHERE {{ ?s ?p ?o # a comment ends at CR\rSERVICE <{url}> {{}} }}",
    ]


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_federated_queries_are_refused_by_default(graph_dir, backend):
    """No outbound request: the listener named by the query is never connected to."""
    store = open_store(graph_dir, backend=backend)
    with Listener() as target:
        queries = service_forms(target.url)
        if backend == "rdflib":  # rdflib expands \\u escapes before parsing: \\u0053 is S
            queries.append(f"SELECT * WHERE {{ \\u0053ERVICE <{target.url}> {{ ?s ?p ?o }} }}")
        for query in queries:
            with pytest.raises(QueryError, match="federated queries"):
                run_query(store, query)
            with pytest.raises(QueryError, match="federated queries"):
                store.query(query)
        assert not target.connected()


def test_kg_query_refuses_service_in_one_line_and_allows_it_by_flag(graph_dir):
    with Listener() as target:
        done = kg_query(graph_dir, f"SELECT * WHERE {{ SERVICE <{target.url}> {{ ?s ?p ?o }} }}")
        assert done.returncode == 1 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and "federated queries (SERVICE)" in done.stderr
        assert "--allow-federated" in done.stderr
        assert not target.connected()
    with Listener() as target:  # it hangs up at once: the query fails, after connecting
        done = kg_query(graph_dir, f"SELECT * WHERE {{ SERVICE <{target.url}> {{ ?s ?p ?o }} }}", "--allow-federated")
        assert done.returncode == 1 and "federated" not in done.stderr
        assert target.received and target.received[0].startswith(b"POST /sparql")


def test_scan_tells_service_apart_from_its_name_in_literals():
    from kg.sparql_scan import scan

    for query in ("SELECT ?service WHERE { ?s ?p 'SERVICE <x> {}' } # SERVICE",
                  'SELECT * WHERE { ?s ?p """a\\""" SERVICE <x> {} """ }',
                  "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
                  "SELECT $services WHERE { ?s ?p ?o }"):
        assert scan(query).service is False, query
    for query in ("SELECT * WHERE { ex:Service ?p ?o }",  # a false alarm, never a miss
                  'SELECT * WHERE { ?s ?p "x"\nSERVICE <x> {} }',
                  "SELECT * WHERE { ?s ?p 'a\\'' SERVICE <x> {} }"):
        assert scan(query).service is True, query


def test_deep_or_long_queries_are_refused_before_parsing(graph_dir):
    """About 3,000 nested braces killed `kg query` in Oxigraph's parser (exit 139, no message)."""
    for query in ("SELECT * WHERE " + "{" * 3000 + "}" * 3000,
                  "SELECT * WHERE { FILTER(" + "+".join(["1"] * 8000) + ") }",
                  "SELECT * WHERE { " + " UNION ".join(["{}"] * 8000) + " }"):
        done = kg_query(graph_dir, query)
        assert done.returncode == 1, (done.returncode, done.stderr[-300:])
        assert len(done.stderr.strip().splitlines()) == 1 and "query failed" in done.stderr
        assert "deep" in done.stderr or "operators" in done.stderr
    ok = kg_query(graph_dir, "SELECT (COUNT(*) AS ?n) WHERE " + "{" * 60 + " ?p a kg:Paper " + "}" * 60, "-f", "csv")
    assert ok.returncode == 0 and ok.stdout.split() == ["n", "3"]


def test_updates_are_named_as_such(store):
    for update in ("INSERT DATA { <http://e/s> <http://e/p> 1 }", "PREFIX : <http://e/> DELETE WHERE { ?s :p ?o }"):
        with pytest.raises(QueryError, match="SPARQL Update"):
            run_query(store, update)
