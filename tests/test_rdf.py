"""RDF export/import (kg.rdf) and the ontology (ontology/kg.ttl): round trips, files, determinism, terms."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from graph_fixtures import (CIFAR, EXTRACTOR, GBRL_PAPER, IMAGENET, OLD_PAPER, REPO, VIT, VIT_PAPER,
                            graph_signature, odd_graph, small_graph, tricky_graph)
import kg.rdf
from kg import model
from kg.rdf import (BASE, CONCEPT_CLASSES, DCTERMS, EVIDENCE_LEVELS, FORMATS, KG, PREFIXES, PROV, RELATIONS,
                    SCHEMA, SKOS, from_rdf, iter_triples, link_iri, node_iri, node_key, ontology_path, read_rdf,
                    serialize, to_rdf, write_rdf)

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

FIXTURES = {"small": small_graph, "tricky": tricky_graph}
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
OX_FORMAT = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
             "jsonld": pyoxigraph.RdfFormat.JSON_LD}
ERRNS = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_path("kg.ttl"), format="turtle")


def assert_same_graph(expected: nx.MultiDiGraph, actual: nx.MultiDiGraph) -> None:
    want, got = graph_signature(expected), graph_signature(actual)
    assert got["graph"] == want["graph"]
    assert got["nodes"] == want["nodes"]
    assert got["edges"] == want["edges"]


# ----------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_in_memory(name):
    g = FIXTURES[name]()
    assert_same_graph(g, from_rdf(to_rdf(g)))


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_through_files(tmp_path, name, fmt):
    g = FIXTURES[name]()
    path = write_rdf(g, tmp_path, formats=(fmt,))[fmt]
    parsed = rdflib.Graph().parse(path, format=RDFLIB_FORMAT[fmt])
    assert isomorphic(parsed, to_rdf(g))
    assert_same_graph(g, from_rdf(parsed))


@pytest.mark.parametrize("name", FIXTURES)
def test_read_rdf_directory_and_files(tmp_path, name):
    g = FIXTURES[name]()
    write_rdf(g, tmp_path)
    assert_same_graph(g, read_rdf(tmp_path))
    for file in ("kg.ttl", "kg.nt", "kg.jsonld"):
        assert_same_graph(g, read_rdf(tmp_path / file))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no kg.nt"):
        read_rdf(tmp_path / "empty")


def test_round_trip_keeps_exact_floats_and_author_order():
    g = small_graph()
    h = from_rdf(rdflib.Graph().parse(data=serialize(iter_triples(g), "ttl"), format="turtle"))
    conf = h.edges[VIT_PAPER, CIFAR, "evaluatesOn"]["confidence"]
    assert conf == 0.1 + 0.2 and isinstance(conf, float)
    assert h.edges[VIT_PAPER, IMAGENET, "evaluatesOn"]["confidence"] == 0.7
    assert h.nodes[VIT_PAPER]["authors"] == ["Zoe Zhang", "Adam Smith", "Émile Zola"]
    assert h.nodes[VIT]["aliases"] == ["ViT", "Vision Transformer"]
    assert h.edges[OLD_PAPER, VIT_PAPER, "relatedTo"] == {
        "relation": "relatedTo", "score": 0.8125, "rank": 1,
        # reasons keep their order (most telling first), not sorted
        "reasons": ["both evaluate on ImageNet", "it proposes ViT, which this paper uses",
                    "shared terms: image, transformer"]}
    assert h.edges[GBRL_PAPER, REPO, "codeRepository"] == {"relation": "codeRepository"}
    assert h.edges[GBRL_PAPER, IMAGENET, "mentions"]["evidence"] is None


def test_a_paper_repo_edge_is_only_the_direct_triple():
    rdf = to_rdf(small_graph())
    assert (node_iri(GBRL_PAPER), KG.codeRepository, node_iri(REPO)) in rdf
    assert list(rdf.subjects(RDF.object, node_iri(REPO))) == []  # no reified statement


def test_import_fills_missing_schema_attributes():
    g = nx.MultiDiGraph()
    g.add_node("paper/t-1", kind="Paper", title="T", abstract="A", url=None, authors=[], date=None,
               arxiv_id=None, categories=[], sources=[], record_id=None, dois=[])
    h = from_rdf(to_rdf(g))
    assert dict(h.nodes["paper/t-1"]) == dict(g.nodes["paper/t-1"])
    assert h.graph == {}


@pytest.mark.parametrize("part", ["node kind", "concept type", "edge key"])
def test_export_refuses_what_is_outside_the_schema(part):
    # The mapping is exactly the schema ontology/shapes.ttl checks: anything else is an error, not a guess.
    g = small_graph()
    if part == "node kind":
        g.add_node("author/jane-doe", kind="Author", name="Jane Doe")
    elif part == "concept type":
        g.nodes[IMAGENET]["type"] = "Software"
    else:
        g.add_edge(VIT_PAPER, OLD_PAPER, key="writtenBy")
    with pytest.raises(ValueError, match=part.split()[-1]):
        list(iter_triples(g))
    assert odd_graph  # the fixture of such graphs stays importable for other suites


# ----------------------------------------------------------------------------- mapping details

def test_relations_match_the_graph_schema():
    from kg import graph

    assert RELATIONS == graph.RELATIONS
    assert set(CONCEPT_CLASSES) == set(model.ENTITY_TYPES)


def test_iris_are_stable_and_readable():
    assert node_iri(VIT_PAPER) == URIRef(BASE + "paper/arxiv-2403.12345")
    assert node_iri(IMAGENET) == URIRef("https://w3id.org/paperkg/concept/dataset/imagenet")
    assert node_iri(REPO) == URIRef("https://w3id.org/paperkg/repo/github.com/nvlabs/gbrl")
    assert link_iri(VIT_PAPER, "evaluatesOn", IMAGENET) == URIRef(
        BASE + "link/arxiv-2403.12345/evaluatesOn/dataset/imagenet")
    for key in ["paper/x y", "concept/a/b%20c", "ü/#?", "x<>\"{}|^`\\"]:
        iri = node_iri(key)
        assert node_key(iri) == key
        assert not set(str(iri)) & set(' <>"{}|^`\\')


def test_link_is_reified_with_evidence():
    g = small_graph()
    rdf = to_rdf(g)
    paper, concept = node_iri(VIT_PAPER), node_iri(VIT)
    link = link_iri(VIT_PAPER, "uses", VIT)
    assert (paper, KG.uses, concept) in rdf  # the direct triple, for simple SPARQL
    assert (link, RDF.type, KG.LinkEvidence) in rdf
    assert (link, RDF.subject, paper) in rdf
    assert (link, RDF.predicate, KG.uses) in rdf
    assert (link, RDF.object, concept) in rdf
    assert (link, KG.role, Literal("used")) in rdf
    assert (link, KG.confidence, Literal("0.8", datatype=rdflib.XSD.double)) in rdf
    assert (link, KG.extractorVersion, Literal(EXTRACTOR)) in rdf
    assert (link, PROV.wasDerivedFrom, paper) in rdf
    evidence = g.edges[VIT_PAPER, VIT, "uses"]["evidence"]
    assert rdf.value(link, KG.evidenceText) == Literal(evidence["text"])
    assert int(rdf.value(link, KG.evidenceStart)) == evidence["start"]
    assert int(rdf.value(link, KG.evidenceEnd)) == evidence["end"]
    spans = sorted((int(rdf.value(m, KG.mentionStart)), int(rdf.value(m, KG.mentionEnd)),
                    str(rdf.value(m, KG.mentionText))) for m in rdf.objects(link, KG.hasMention))
    assert [list(s) for s in spans] == g.edges[VIT_PAPER, VIT, "uses"]["mentions"]
    for m in rdf.objects(link, KG.hasMention):
        assert (m, RDF.type, KG.Mention) in rdf


def test_papers_and_concepts_use_their_vocabularies():
    rdf = to_rdf(small_graph())
    paper, concept = node_iri(VIT_PAPER), node_iri(IMAGENET)
    assert (paper, RDF.type, KG.Paper) in rdf
    assert rdf.value(paper, DCTERMS.title) == Literal("Vision Transformers for Long-Tailed Recognition")
    assert str(rdf.value(paper, URIRef("http://purl.org/spar/fabio/hasArXivId"))) == "2403.12345"
    assert set(rdf.objects(paper, DCTERMS.creator)) == {Literal("Zoe Zhang"), Literal("Adam Smith"),
                                                        Literal("Émile Zola")}
    assert list(rdf.items(rdf.value(paper, KG.authorList))) == [
        Literal("Zoe Zhang"), Literal("Adam Smith"), Literal("Émile Zola")]
    assert set(rdf.objects(paper, KG.category)) == {Literal("cs.CV"), Literal("cs.LG")}
    assert (concept, RDF.type, KG.Dataset) in rdf
    assert rdf.value(concept, SKOS.prefLabel) == Literal("ImageNet")
    assert set(rdf.objects(concept, SKOS.altLabel)) == {Literal("ILSVRC-2012"), Literal("ImageNet-1k")}
    assert rdf.value(concept, DCTERMS.title) is None  # concepts never carry dcterms:title
    assert int(rdf.value(concept, KG.paperCount)) == 3
    assert (node_iri(REPO), SCHEMA.url, Literal("https://github.com/NVlabs/GBRL", datatype=rdflib.XSD.anyURI)) in rdf
    assert (node_iri(OLD_PAPER), KG.relatedTo, node_iri(VIT_PAPER)) in rdf


def test_no_wall_clock_timestamps(tmp_path):
    paths = write_rdf(small_graph(), tmp_path)
    rdf = rdflib.Graph().parse(paths["nt"], format="nt")
    datatypes = {o.datatype for o in rdf.objects() if isinstance(o, Literal)}
    assert rdflib.XSD.dateTime not in datatypes and rdflib.XSD.dateTimeStamp not in datatypes
    dates = [o for o in rdf.objects() if isinstance(o, Literal) and o.datatype == rdflib.XSD.date]
    assert [str(d) for d in dates] == ["2024-03-18"]  # the paper's own date, nothing else


# ----------------------------------------------------------------------------- files

@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
def test_files_parse_with_pyoxigraph(tmp_path, fmt):
    g = small_graph()
    path = write_rdf(g, tmp_path, formats=(fmt,))[fmt]
    triples = list(pyoxigraph.parse(path=str(path), format=OX_FORMAT[fmt]))
    assert len(triples) == len(to_rdf(g))


def test_write_rdf_is_deterministic(tmp_path):
    first = write_rdf(small_graph(), tmp_path / "a")
    second = write_rdf(small_graph(), tmp_path / "b")
    # The same graph assembled in another order gives the same bytes too.
    g = small_graph()
    shuffled = nx.MultiDiGraph()
    shuffled.graph.update(g.graph)
    shuffled.add_nodes_from(reversed(list(g.nodes(data=True))))
    shuffled.add_edges_from(reversed(list(g.edges(keys=True, data=True))))
    third = write_rdf(shuffled, tmp_path / "c")
    for fmt in ("ttl", "nt", "jsonld"):
        data = first[fmt].read_bytes()
        assert data == second[fmt].read_bytes() == third[fmt].read_bytes(), fmt
    lines = first["nt"].read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)


def test_write_rdf_is_deterministic_across_processes(tmp_path):
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "from graph_fixtures import small_graph, tricky_graph\n"
        "from kg.rdf import write_rdf\n"
        "import networkx as nx\n"
        "g = nx.compose(small_graph(), tricky_graph())\n"
        "write_rdf(g, sys.argv[3])\n"
    )
    root = Path(__file__).resolve().parents[1]
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(root), str(root / "tests"), str(out)],
                       check=True, env=env)
        outputs.append(out)
    for name in ("kg.ttl", "kg.nt", "kg.jsonld"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_streamed_export_spilling_to_disk_gives_the_same_bytes(demo, tmp_path, monkeypatch):
    # The demo build wrote its files in memory; a budget of 64 KiB makes the external sort spill
    # hundreds of sorted runs and merge them, which must not change a byte.
    monkeypatch.setattr(kg.rdf, "_SORT_BUDGET", 1 << 16)
    g = read_rdf(demo / "kg.nt")
    paths = write_rdf(g, tmp_path)
    for fmt, path in paths.items():
        assert path.read_bytes() == (demo / FORMATS[fmt]).read_bytes(), fmt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.jsonld", "kg.nt", "kg.ttl"]


def test_files_equal_serialize_of_the_triples(tmp_path):
    # write_rdf (external sort, files) and serialize (in memory) render the same triples the same way.
    g = nx.compose(small_graph(), tricky_graph())
    paths = write_rdf(g, tmp_path)
    for fmt, path in paths.items():
        assert path.read_text(encoding="utf-8") == serialize(iter_triples(g), fmt), fmt


def test_evidence_levels_keep_less_provenance(tmp_path):
    g = small_graph()
    counts = {}
    for level in EVIDENCE_LEVELS:
        rdf = to_rdf(g, level)
        counts[level] = len(rdf)
        mentions = len(list(rdf.triples((None, KG.hasMention, None))))
        links = {s for s in rdf.subjects(RDF.type, KG.LinkEvidence) if (s, KG.role, None) in rdf}
        concept_edges = [e for e in g.edges(keys=True) if e[2] in RELATIONS]
        # every level keeps every direct triple
        assert all((node_iri(u), KG[k], node_iri(v)) in rdf for u, v, k in concept_edges)
        if level == "all":
            assert mentions == sum(len(g.edges[e]["mentions"]) for e in concept_edges)
        elif level == "first":
            assert mentions == len(links) == len(concept_edges)
        else:
            assert mentions == 0 and not links
        assert (node_iri(OLD_PAPER), KG.relatedTo, node_iri(VIT_PAPER)) in rdf  # related picks keep their score
        assert rdf.value(link_iri(OLD_PAPER, "relatedTo", VIT_PAPER), KG.score) is not None
    assert counts["all"] > counts["first"] > counts["none"]
    # read back: "first" keeps the first span of each link, "none" the links without their attributes
    first = from_rdf(to_rdf(g, "first"))
    assert first.edges[VIT_PAPER, VIT, "uses"]["mentions"] == g.edges[VIT_PAPER, VIT, "uses"]["mentions"][:1]
    assert first.edges[VIT_PAPER, VIT, "uses"]["evidence"] == g.edges[VIT_PAPER, VIT, "uses"]["evidence"]
    none = from_rdf(to_rdf(g, "none"))
    assert none.graph["evidence"] == "none" and "evidence" not in from_rdf(to_rdf(g)).graph
    assert len(to_rdf(none)) == counts["none"]  # written again, it keeps its level
    assert none.edges[VIT_PAPER, VIT, "uses"] == {"relation": "uses", "role": None, "confidence": None,
                                                  "mentions": [], "evidence": None, "extractor": None}
    assert dict(none.nodes(data=True)) == dict(g.nodes(data=True))
    with pytest.raises(ValueError, match="evidence level"):
        write_rdf(g, tmp_path, evidence="some")


def test_write_rdf_outputs_and_atomicity(tmp_path):
    paths = write_rdf(small_graph(), tmp_path)
    assert paths == {"ttl": tmp_path / "kg.ttl", "nt": tmp_path / "kg.nt", "jsonld": tmp_path / "kg.jsonld"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.jsonld", "kg.nt", "kg.ttl"]  # no temp files
    with pytest.raises(ValueError, match="unknown RDF format"):
        write_rdf(small_graph(), tmp_path / "bad", formats=("ttl", "rdfxml"))
    assert not (tmp_path / "bad").exists()


def test_turtle_keeps_lexical_forms_and_lists(tmp_path):
    text = write_rdf(small_graph(), tmp_path, formats=("ttl",))["ttl"].read_text(encoding="utf-8")
    assert '"0.30000000000000004"^^xsd:double' in text
    assert text.startswith("@base <https://w3id.org/paperkg/> .\n")
    assert "\n<paper/arxiv-2403.12345> dcterms:abstract " in text  # relative to @base, predicates sorted
    # pyoxigraph writes the prefixes relative to the base (kg: <ontology#>): they resolve to ours
    declared = set(re.findall(r"^@prefix (\w+): <[^>]*> \.$", text, re.M))
    assert declared == set(PREFIXES) - {"kgr"}
    parsed = rdflib.Graph().parse(data=text, format="turtle")
    assert {p: str(ns) for p, ns in parsed.namespaces() if p in declared} == {p: PREFIXES[p] for p in declared}
    assert list(parsed.items(parsed.value(node_iri(VIT_PAPER), KG.authorList))) == [
        Literal("Zoe Zhang"), Literal("Adam Smith"), Literal("Émile Zola")]


def test_write_accepts_an_rdflib_graph(tmp_path):
    g = small_graph()
    a = write_rdf(g, tmp_path / "a", formats=("nt",))["nt"].read_bytes()
    b = write_rdf(to_rdf(g), tmp_path / "b", formats=("nt",))["nt"].read_bytes()
    assert a == b


# ----------------------------------------------------------------------------- ontology

def test_ontology_path_finds_shipped_files():
    assert ontology_path("kg.ttl").is_file()
    assert ontology_path("queries").is_dir()


def test_ontology_loads_in_pyoxigraph(ontology):
    store = pyoxigraph.Store()
    store.load(path=str(ontology_path("kg.ttl")), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(ontology)


def _declared(ontology: rdflib.Graph) -> set[URIRef]:
    return {s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef)}


def test_ontology_documents_every_term(ontology):
    kg_terms = {t for t in _declared(ontology) if str(t).startswith(str(KG))}
    expected_classes = {"Paper", "Concept", "Method", "Model", "Dataset", "Task", "Metric", "CodeRepository",
                        "LinkEvidence", "Mention", "KnowledgeGraph"}
    expected_props = {"proposes", "uses", "evaluatesOn", "comparesWith", "addresses", "mentions",
                      "codeRepository", "relatedTo", "role", "confidence", "evidenceStart", "evidenceEnd",
                      "evidenceText", "mentionStart", "mentionEnd", "mentionText", "extractorVersion",
                      "paperCount", "labelKey", "score", "rank", "reason", "reasonList", "listingDate", "category",
                      "authorList", "hasMention", "graphName", "evidenceLevel",
                      "entityType", "caseSensitive"}  # the last two type ontology/vocab entries
    assert {str(t)[len(str(KG)):] for t in kg_terms} == expected_classes | expected_props
    for term in kg_terms:
        assert ontology.value(term, RDFS.label) is not None, term
        assert ontology.value(term, RDFS.comment) is not None, term
        assert ontology.value(term, RDFS.isDefinedBy) == URIRef("https://w3id.org/paperkg/ontology"), term
        if (term, RDF.type, OWL.Class) in ontology:
            assert ontology.value(term, RDFS.subClassOf) is not None, term  # aligned
        else:
            assert ontology.value(term, RDFS.domain) is not None, term
            assert ontology.value(term, RDFS.range) is not None, term
    # each paper links to its own top related papers: the relation is directed
    assert (KG.relatedTo, RDF.type, OWL.SymmetricProperty) not in ontology
    assert (KG.evaluatesOn, RDFS.subPropertyOf, KG.uses) in ontology
    for rel in ("proposes", "uses", "evaluatesOn", "comparesWith", "addresses", "mentions"):
        assert (KG[rel], RDFS.subPropertyOf, SCHEMA.mentions) in ontology
    aligned = {
        KG.Paper: {SCHEMA.ScholarlyArticle, URIRef("http://purl.org/spar/fabio/ResearchPaper")},
        KG.Concept: {SKOS.Concept, SCHEMA.DefinedTerm},
        KG.Method: {KG.Concept, URIRef("http://www.w3.org/ns/mls#Algorithm")},
        KG.Model: {KG.Concept, URIRef("http://www.w3.org/ns/mls#Model")},
        KG.Dataset: {KG.Concept, SCHEMA.Dataset, URIRef("http://www.w3.org/ns/mls#Dataset")},
        KG.Task: {KG.Concept, URIRef("http://www.w3.org/ns/mls#Task")},
        KG.Metric: {KG.Concept, URIRef("http://www.w3.org/ns/mls#EvaluationMeasure")},
        KG.CodeRepository: {SCHEMA.SoftwareSourceCode},
        KG.LinkEvidence: {RDF.Statement, PROV.Entity},
    }
    for cls, parents in aligned.items():
        assert set(ontology.objects(cls, RDFS.subClassOf)) == parents, cls
    # CiTO relates papers to papers only: no kg property is aligned to a CiTO term.
    cito = "http://purl.org/spar/cito/"
    assert not [t for t in ontology.objects(None, RDFS.subPropertyOf) if str(t).startswith(cito)]


@pytest.mark.parametrize("name", FIXTURES)
def test_export_uses_only_declared_terms(ontology, name):
    declared = _declared(ontology)
    text = ontology_path("kg.ttl").read_text(encoding="utf-8")
    allowed_ns = ["http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
                  str(OWL), str(rdflib.XSD), str(SKOS), str(DCTERMS), str(PROV), str(SCHEMA), "http://purl.org/spar/fabio/"]
    rdf = to_rdf(FIXTURES[name]())
    used = set(rdf.predicates()) | {o for o in rdf.objects(None, RDF.type)}
    for term in used:
        if term in declared:
            continue
        ns = next((n for n in allowed_ns if str(term).startswith(n)), None)
        assert ns is not None and f"<{ns}>" in text, f"{term} is neither declared in kg.ttl nor in its vocabularies"
        assert ns == "http://www.w3.org/1999/02/22-rdf-syntax-ns#", f"{term} is used but not declared in kg.ttl"
    assert {t for t in used if str(t).startswith(str(KG))} <= declared


def test_owl_rl_closure_of_ontology_and_export(ontology):
    owlrl = pytest.importorskip("owlrl")
    g = rdflib.Graph()
    for triple in ontology:
        g.add(triple)
    for triple in to_rdf(small_graph()):
        g.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    assert list(g.objects(None, ERRNS.error)) == []
    paper, imagenet = node_iri(VIT_PAPER), node_iri(IMAGENET)
    assert (paper, SCHEMA.mentions, imagenet) in g          # evaluatesOn < uses < schema:mentions
    assert (paper, KG.uses, imagenet) in g
    assert (imagenet, RDF.type, SCHEMA.Dataset) in g
    assert (imagenet, RDF.type, SKOS.Concept) in g
    assert (node_iri(OLD_PAPER), KG.relatedTo, node_iri(VIT_PAPER)) in g
    assert (node_iri(VIT_PAPER), KG.relatedTo, node_iri(OLD_PAPER)) not in g  # directed: the old paper's pick
    assert (node_iri(OLD_PAPER), DCTERMS.relation, node_iri(VIT_PAPER)) in g


def test_owl_rl_closure_flags_a_wrongly_typed_link(ontology):
    owlrl = pytest.importorskip("owlrl")
    g = rdflib.Graph()
    for triple in ontology:
        g.add(triple)
    bad = small_graph()
    bad.add_edge(VIT_PAPER, VIT, key="evaluatesOn")  # a Model is not a Dataset
    for triple in to_rdf(bad):
        g.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    assert any("Disjoint classes" in str(e) for e in g.objects(None, ERRNS.error))


def test_concepts_carry_lower_cased_label_keys():
    # kg:labelKey: one per distinct lower-cased label/alias, so a search by name in any case is an index lookup.
    rdf = to_rdf(small_graph())
    keys = {str(o) for o in rdf.objects(node_iri(IMAGENET), KG.labelKey)}
    assert keys == {"imagenet", "ilsvrc-2012", "imagenet-1k"}
    assert all(not isinstance(s, URIRef) or str(s).startswith(BASE + "concept/")
               for s in rdf.subjects(KG.labelKey, None))
    assert "labelKey" not in str(from_rdf(rdf).nodes[IMAGENET])  # derived: not read back as an attribute
