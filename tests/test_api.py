"""The Python API (kg.api): kg.build / kg.open / kg.extract and KnowledgeGraph, on a real 25-paper build,
checked against what the CLI commands (`kg build`, `kg query`, `kg related`, `kg stats`, `kg view`,
`kg extract`) give for the same folder."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import kg
from kg.related import AmbiguousPaper, related
from kg.store import QueryError

GUIDELINE = Path(__file__).resolve().parent / "data" / "guideline_test.jsonl"
BADCHAIN = "BadChain: Backdoor Chain-of-Thought Prompting for Large Language Models"


def kg_cli(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> kg.KnowledgeGraph:
    return kg.build([GUIDELINE], tmp_path_factory.mktemp("api") / "out")


def test_import_kg_imports_nothing_heavy():
    code = ("import sys, kg; heavy = ('spacy', 'rdflib', 'pyoxigraph', 'networkx', 'scipy', 'typer'); "
            "print([m for m in heavy if m in sys.modules]); print(callable(kg.build), callable(kg.open))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == ["[]", "True True"]


def test_build_and_extract_stay_functions_after_their_modules_are_imported():
    import kg.build  # noqa: F401  (the submodule kg/build.py)
    import kg.extract.pipeline  # noqa: F401
    from kg.build import build_graph

    assert callable(build_graph)
    assert kg.build.__module__ == "kg.api" and kg.extract.__module__ == "kg.api"
    assert sys.modules["kg.build"].build_graph is build_graph


def test_build_writes_what_kg_build_writes(graph, tmp_path):
    kg_cli("build", str(GUIDELINE), "--output", str(tmp_path), "--no-html")
    for name in ("kg.ttl", "kg.nt", "kg.jsonld"):
        assert (graph.path / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert graph.report.papers == 25 and not graph.temporary
    assert (graph.path / "graph.html").is_file()  # html=True unless told, as `kg build`


def test_open_gives_the_same_graph(graph):
    opened = kg.open(graph.path)
    assert opened.report is None
    counts = graph.stats()
    assert opened.stats() == counts
    # The concept and link counts move with every retrain of the extractor; the paper count is the input's.
    concepts, links = sum(counts["concepts"].values()), sum(counts["links"].values())
    assert concepts > 100 and links > concepts
    assert repr(opened) == f"<KnowledgeGraph {graph.path}: 25 papers, {concepts} concepts, {links} links>"
    g, h = opened.to_networkx(), graph.to_networkx()
    assert sorted(g.nodes) == sorted(h.nodes)
    assert sorted(g.edges(keys=True)) == sorted(h.edges(keys=True))


def test_open_a_missing_or_wrong_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no graph at .*nowhere: build one with kg\.build"):
        kg.open(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no kg.nt or kg.ttl"):
        kg.open(tmp_path)
    (tmp_path / "kg.txt").write_text("x", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        kg.open(tmp_path / "kg.txt")


@pytest.mark.parametrize("sparql, params", [
    ("top-datasets", {}),
    ("papers-using-dataset", {"dataset": "imagenet"}),
    ("papers-using-dataset", {"dataset": 'imagenet" } UNION { ?paper ?p ?o } #'}),  # a value, not SPARQL
    ("related-papers", {"paper": "BadChain"}),
    ("SELECT ?t (COUNT(*) AS ?n) WHERE { ?p a kg:Paper ; dcterms:title ?t } GROUP BY ?t ORDER BY ?t", {}),
    ("ASK { ?p a kg:Paper }", {}),
])
def test_query_equals_kg_query(graph, sparql, params):
    args = [f"--param={k}={v}" for k, v in params.items()]
    cli = kg_cli("query", sparql, "--graph", str(graph.path), "--format", "json", *args)
    assert json.loads(graph.query(sparql, **params).to_json()) == json.loads(cli.stdout)


def test_query_params_are_bound_not_pasted(graph):
    assert len(graph.query("papers-using-dataset", dataset="imagenet")) == 2
    assert len(graph.query("papers-using-dataset", dataset='imagenet" } UNION { ?paper ?p ?o } #')) == 0


def test_query_errors_are_query_errors(graph):
    with pytest.raises(QueryError, match="needs parameter"):
        graph.query("papers-using-dataset")
    with pytest.raises(QueryError, match="has no parameter"):
        graph.query("top-datasets", dataset="x")
    with pytest.raises(QueryError, match="federated"):
        graph.query("SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryError):
        graph.query("SELECT nonsense")
    assert set(graph.queries()) >= {"top-datasets", "papers-using-dataset"}


def test_related_equals_kg_related(graph):
    mine = graph.related("BadChain", top=3)
    assert mine == related(graph.path, "BadChain", top=3)
    cli = kg_cli("related", "BadChain", "--graph", str(graph.path), "--top", "3", "--format", "json")
    assert [s.to_json() for s in mine] == json.loads(cli.stdout)
    assert len(mine) == 3 and BADCHAIN not in [s.title for s in mine]
    assert all(s.reasons for s in mine)


def test_related_text_equals_kg_related_text(graph, tmp_path):
    title, abstract = "Backdoor attacks on chain-of-thought prompting", "We attack LLMs through their reasoning steps."
    mine = graph.related_text(title, abstract, top=4)
    assert mine == related(graph.path, title=title, abstract=abstract, top=4)
    draft = tmp_path / "draft.txt"
    draft.write_text(f"{title}\n{abstract}\n", encoding="utf-8")
    cli = kg_cli("related", "--text", str(draft), "--graph", str(graph.path), "--top", "4", "--format", "json")
    assert [s.to_json() for s in mine] == json.loads(cli.stdout)
    assert mine[0].title == BADCHAIN


def test_related_unknown_and_ambiguous_papers(graph):
    with pytest.raises(LookupError, match="no paper matches"):
        graph.related("no such paper title at all")
    with pytest.raises(AmbiguousPaper) as exc:
        graph.related("language")
    assert len(exc.value.candidates) > 1


def test_stats_is_what_kg_stats_prints(graph):
    printed = kg_cli("stats", "--graph", str(graph.path)).stdout
    rows = dict(re.findall(r"│ (\w[\w: ]*?) +│ (\d+) +│", printed))
    counts = graph.stats()
    expected = {"papers": str(counts["papers"])}
    expected |= {f"concepts: {t}": str(n) for t, n in counts["concepts"].items()}
    expected |= {f"links: {r}": str(n) for r, n in counts["links"].items()}
    assert rows == expected
    assert counts["papers"] == 25 and counts["links"]["relatedTo"] == 125


def test_papers_and_concepts(graph):
    papers = graph.papers.as_dicts()
    assert len(papers) == 25 and BADCHAIN in [p["title"] for p in papers]
    concepts = graph.concepts.as_dicts()
    assert len(concepts) == sum(graph.stats()["concepts"].values())
    assert {c["type"] for c in concepts} == set(graph.stats()["concepts"])
    counts = [int(c["papers"]) for c in concepts]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("fmt, rdflib_format", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_rdf_exports_parse_with_rdflib(graph, tmp_path, fmt, rdflib_format):
    import rdflib

    target = graph.export(fmt, tmp_path / f"copy.{fmt}")
    assert target == tmp_path / f"copy.{fmt}"
    assert target.read_bytes() == (graph.path / f"kg.{fmt}").read_bytes()  # the writers `kg build` uses
    parsed = rdflib.Graph().parse(target, format=rdflib_format)
    assert len(parsed) == len(graph.store) == len(graph.to_rdflib())
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no staging folder left behind


def test_export_into_a_folder_and_unknown_formats(graph, tmp_path):
    assert graph.export("NT", tmp_path) == tmp_path / "kg.nt"
    [graphml] = graph.export("graphml", tmp_path / "g.graphml")
    back = nx.read_graphml(graphml)
    assert (back.number_of_nodes(), back.number_of_edges()) == (graph.to_networkx().number_of_nodes(),
                                                               graph.to_networkx().number_of_edges())
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        graph.export("xml", tmp_path / "x.xml")


def test_view_is_what_kg_view_writes(graph, tmp_path):
    info = graph.view(tmp_path / "mine.html", around="ImageNet", depth=1)
    kg_cli("view", "--graph", str(graph.path), "--around", "ImageNet", "--depth", "1", "-o", str(tmp_path / "cli.html"))
    assert (tmp_path / "mine.html").read_bytes() == (tmp_path / "cli.html").read_bytes()
    assert info.nodes_shown > 1
    info = graph.view(tmp_path / "cooc.html", kind="cooccurrence", types="Dataset,Model")
    assert info.nodes_shown > 0


def test_to_networkx_is_a_copy(graph):
    g = graph.to_networkx()
    g.remove_nodes_from(list(g.nodes))
    assert graph.to_networkx().number_of_nodes() > 25


def test_build_without_output_uses_a_temporary_folder(tmp_path):
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"id": "1", "title": "Tuning BERT", "abstract": "We fine-tune BERT on GLUE."}) + "\n",
                      encoding="utf-8")
    with kg.build(source) as graph:
        folder = graph.path
        assert graph.temporary and folder.is_dir() and not (folder / "graph.html").exists()
        assert graph.query("SELECT ?l WHERE { ?c a kg:Dataset ; skos:prefLabel ?l }").rows == [("GLUE",)]
        assert repr(graph).startswith("<KnowledgeGraph (temporary): 1 papers")
    assert not folder.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["one.jsonl"]


def test_build_errors_are_the_pipelines(tmp_path):
    from kg.build import InputError, NothingRead

    with pytest.raises(InputError):
        kg.build([tmp_path / "missing.jsonl"])
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(NothingRead):
        kg.build([tmp_path / "empty.jsonl"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_extract_equals_kg_extract(tmp_path):
    record = json.loads(GUIDELINE.read_text(encoding="utf-8").splitlines()[15])
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    kg_cli("extract", str(source), "--output", str(tmp_path / "entities.jsonl"))
    cli = json.loads((tmp_path / "entities.jsonl").read_text(encoding="utf-8"))
    mine = kg.extract(record["title"], record["abstract"])
    assert [e.to_json() for e in mine] == cli["entities"]
    assert "BadChain" in [e.name for e in mine]


def test_graph_lookups_equal_kg_graph_and_kg_views(graph):
    from kg.graph import concepts_of, papers_using
    from kg.views import communities, find_nodes

    g = graph.to_networkx()
    paper = graph.find(BADCHAIN)
    assert paper == find_nodes(g, BADCHAIN) and g.nodes[paper[0]]["title"] == BADCHAIN
    assert graph.concepts_of(BADCHAIN) == concepts_of(g, paper[0]) != []
    proposed = graph.concepts_of(paper[0], relation="proposes")
    assert proposed and all(rel == "proposes" for rel, _ in proposed)
    concept = proposed[0][1]
    assert graph.papers_using(g.nodes[concept]["label"]) == papers_using(g, concept)
    assert (paper[0], "proposes") in graph.papers_using(concept)
    assert graph.communities() == communities(g)


def test_graph_lookups_name_what_they_could_not_find(graph):
    with pytest.raises(LookupError, match="did you mean"):
        graph.find("backdor chain of thougt prompting")
    with pytest.raises(LookupError, match="0 concept nodes"):
        graph.papers_using(BADCHAIN)  # a paper's title, not a concept's name
    with pytest.raises(LookupError, match="paper nodes"):
        graph.concepts_of("Large")  # in many titles


# ---------------------------------------------------------------- which paper a name means (kg.paper_lookup)

ID_RECORDS = [  # papers named by an arXiv id (new and old style), DOIs, a record id, and titles inside titles
    {"id": "2403.12345", "title": "Sparse Attention for Long Documents", "doi": "10.1145/3485447.3512056",
     "abstract": "We evaluate BERT on SQuAD and propose SparseDoc."},
    {"arxiv_id": "hep-th/9901001", "title": "Strings on Branes", "abstract": "We study D-branes with a matrix model."},
    {"id": "W42", "title": "Sparse Attention for Long Documents at Scale", "doi": "https://doi.org/10.5555/ABC.123",
     "abstract": "We fine-tune RoBERTa on TriviaQA with sparse attention."},
    {"title": "Sparse Attention Revisited", "abstract": "We compare Longformer with BigBird on GLUE."},
]
NEW_STYLE, OLD_STYLE = "paper/arxiv-2403.12345", "paper/arxiv-hep-th_9901001"


@pytest.fixture(scope="module")
def id_graph(tmp_path_factory) -> kg.KnowledgeGraph:
    folder = tmp_path_factory.mktemp("ids")
    source = folder / "ids.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ID_RECORDS), encoding="utf-8")
    return kg.build([source], folder / "out", html=False)


def _key_of(g: nx.MultiDiGraph, title: str) -> str:
    return next(n for n, d in g.nodes(data=True) if d.get("kind") == "Paper" and d.get("title") == title)


@pytest.mark.parametrize("spelling", [
    NEW_STYLE, "arxiv-2403.12345", "https://w3id.org/paperkg/paper/arxiv-2403.12345",
    "2403.12345", " 2403.12345 ", "2403.12345v2", "arXiv:2403.12345", "arXiv:2403.12345v2", "ARXIV: 2403.12345",
    "arxiv.org/abs/2403.12345", "https://arxiv.org/abs/2403.12345v1", "https://arxiv.org/pdf/2403.12345v3",
    "10.48550/arXiv.2403.12345", "10.1145/3485447.3512056", "https://doi.org/10.1145/3485447.3512056",
    "doi:10.1145/3485447.3512056", "HTTPS://DOI.ORG/10.1145/3485447.3512056",
    "Sparse Attention for Long Documents", "sparse attention for long documents.",  # exact title beats "... at Scale"
])
def test_every_spelling_of_a_papers_ids_names_the_same_node(id_graph, spelling):
    from kg.graph import concepts_of

    g = id_graph.to_networkx()
    assert id_graph.paper(spelling) == NEW_STYLE
    assert id_graph.concepts_of(spelling) == concepts_of(g, NEW_STYLE) != []
    assert id_graph.related(spelling, top=2) == id_graph.related(NEW_STYLE, top=2) != []
    assert related(id_graph.path, spelling, top=2) == id_graph.related(NEW_STYLE, top=2)  # the saved index


def test_old_style_arxiv_ids_record_ids_and_dois_without_arxiv(id_graph):
    g = id_graph.to_networkx()
    scale = _key_of(g, "Sparse Attention for Long Documents at Scale")
    for spelling in ("hep-th/9901001", "HEP-TH/9901001", "arXiv:hep-th/9901001v2", "https://arxiv.org/abs/hep-th/9901001"):
        assert id_graph.paper(spelling) == OLD_STYLE, spelling
        assert id_graph.concepts_of(spelling) == id_graph.concepts_of(OLD_STYLE)
    for spelling in ("W42", "10.5555/abc.123", "https://doi.org/10.5555/ABC.123", "at scale"):
        assert id_graph.paper(spelling) == scale, spelling
        assert id_graph.related(spelling, top=2) == id_graph.related(scale, top=2)


def test_an_ambiguous_title_names_the_candidates(id_graph):
    from kg.paper_lookup import PaperNotFound

    g = id_graph.to_networkx()
    sparse = sorted(_key_of(g, r["title"]) for r in ID_RECORDS if r["title"].startswith("Sparse"))
    with pytest.raises(AmbiguousPaper) as exc:
        id_graph.concepts_of("sparse attention")
    assert str(exc.value).startswith("'sparse attention' names 3 paper nodes whose titles contain it (")
    assert all(key in str(exc.value) for key in sparse) and exc.value.rule == "title part"
    with pytest.raises(AmbiguousPaper) as via_related:
        id_graph.related("Sparse Attention")
    assert via_related.value.candidates == [(k, g.nodes[k]["title"]) for k in sparse]
    for unknown in ("2401.99999", "arXiv:hep-th/9901002", "10.1000/nothing"):
        with pytest.raises(PaperNotFound, match="no paper matches"):
            id_graph.concepts_of(unknown)
        with pytest.raises(PaperNotFound, match="no paper matches"):
            id_graph.related(unknown)


def test_kg_related_takes_the_same_spellings(id_graph):
    cli = kg_cli("related", "arXiv:2403.12345v2", "--graph", str(id_graph.path), "--top", "2", "--format", "json")
    assert json.loads(cli.stdout) == [s.to_json() for s in id_graph.related(NEW_STYLE, top=2)]


def test_find_kinds_keeps_only_those_nodes(graph):
    from kg.views import NodeNotFound, find_nodes

    g = graph.to_networkx()
    name = "Large Language Models"
    concept = graph.find(name)
    assert g.nodes[concept[0]]["type"] == "Method"
    assert graph.find(name, kinds="Concept") == graph.find(name, kinds="method") == concept
    assert graph.find(name, kinds=["Paper", "Method"]) == concept  # concepts still come before titles
    papers = graph.find(name, kinds="Paper")
    assert len(papers) > 1 and all(g.nodes[k]["kind"] == "Paper" for k in papers)
    assert all(name.casefold() in g.nodes[k]["title"].casefold() for k in papers)
    assert papers == find_nodes(g, name, kinds="Paper")
    assert graph.find("BadChain", kinds="Paper") == [graph.paper(BADCHAIN)] != graph.find("BadChain")
    datasets = [k for k, d in g.nodes(data=True) if d.get("type") == "Dataset"]
    label = g.nodes[datasets[0]]["label"]
    assert graph.find(label, kinds="Dataset") == [datasets[0]]
    with pytest.raises(NodeNotFound):
        graph.find(name, kinds="Dataset")
    with pytest.raises(NodeNotFound):
        graph.find(datasets[0], kinds="Paper")  # a node key of another kind
    with pytest.raises(ValueError, match="unknown node type"):
        graph.find(name, kinds="Papers,Gadgets")


# ------------------------------------------- find / kg view --around read a paper's name as paper() does

@pytest.mark.parametrize("spelling", [
    NEW_STYLE, "arxiv-2403.12345", "https://w3id.org/paperkg/paper/arxiv-2403.12345", "2403.12345",
    "2403.12345v2", "arXiv:2403.12345", "arXiv:2403.12345v2", "https://arxiv.org/abs/2403.12345v1",
    "10.1145/3485447.3512056", "doi:10.1145/3485447.3512056", "HTTPS://DOI.ORG/10.1145/3485447.3512056",
    "Sparse Attention for Long Documents", "sparse attention for long documents.",
])
def test_find_takes_every_spelling_paper_takes(id_graph, spelling):
    assert id_graph.find(spelling) == [id_graph.paper(spelling)] == [NEW_STYLE]
    assert id_graph.find(spelling, kinds="Paper") == [NEW_STYLE]


def test_find_old_style_ids_record_ids_and_title_parts(id_graph):
    g = id_graph.to_networkx()
    scale = _key_of(g, "Sparse Attention for Long Documents at Scale")
    assert id_graph.find("arXiv:hep-th/9901001v2") == [OLD_STYLE]
    assert id_graph.find("W42") == id_graph.find("https://doi.org/10.5555/ABC.123") == [scale]
    # Several papers are an answer for find (a view centres on all of them), not an error as for paper().
    assert len(id_graph.find("sparse attention", kinds="Paper")) == 3


def test_find_names_an_identifier_no_paper_has(id_graph):
    from kg.views import NodeNotFound

    with pytest.raises(NodeNotFound, match=r"no paper has the DOI '10\.1000/nothing'"):
        id_graph.find("10.1000/nothing")
    with pytest.raises(NodeNotFound, match=r"no paper has the arXiv id '2401\.99999'"):
        id_graph.find("arXiv:2401.99999")


def test_kg_view_around_takes_ids_and_dois(id_graph, tmp_path):
    from kg.views.page import read_page_data

    pages = {}
    for spelling in (NEW_STYLE, "arXiv:2403.12345v2", "https://doi.org/10.1145/3485447.3512056"):
        target = tmp_path / f"view-{len(pages)}.html"
        kg_cli("view", "--graph", str(id_graph.path), "--around", spelling, "--output", str(target))
        pages[spelling] = sorted(n["id"] for n in read_page_data(target.read_text(encoding="utf-8"))["nodes"])
    assert NEW_STYLE in pages[NEW_STYLE] and len(set(map(tuple, pages.values()))) == 1
    run = subprocess.run([sys.executable, "-m", "kg", "view", "--graph", str(id_graph.path), "--around",
                          "doi:10.1000/nothing", "--output", str(tmp_path / "none.html")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "no paper has the DOI '10.1000/nothing'" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "none.html").exists()
