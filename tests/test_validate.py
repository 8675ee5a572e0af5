"""SHACL validation (kg.validate, ontology/shapes.ttl) and provenance on every fact of the demo export."""
from __future__ import annotations

import re
import subprocess
import sys

import pyoxigraph
import pytest
import rdflib
from graph_fixtures import CIFAR, GBRL_PAPER, IMAGENET, VIT_PAPER, small_graph
from rdflib import Literal, URIRef

from kg.rdf import (
    BASE,
    DCTERMS,
    KG,
    PROV,
    SKOS,
    link_iri,
    node_iri,
    ontology_path,
    read_rdf,
    to_rdf,
    write_rdf,
)
from kg.schema import EVIDENCE_LEVELS, RELATIONS
from kg.store import open_store, run_query
from kg.validate import Violation, validate


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def store(demo):
    return open_store(demo)


def small() -> rdflib.Graph:
    return to_rdf(small_graph())


def messages(report) -> list[str]:
    return [v.message for v in report.violations]


# ----------------------------------------------------------------------------- valid exports

def test_demo_export_validates(demo):
    report = validate(demo)
    assert report.violations == [] and report.conforms, "\n".join(map(str, report.violations[:20]))
    assert report.triples > 100_000
    assert report.summary().startswith("valid: ")


@pytest.mark.parametrize("level", EVIDENCE_LEVELS)
def test_every_evidence_level_validates(level):
    report = validate(to_rdf(small_graph(), level))
    assert report.conforms, [str(v) for v in report.violations]


@pytest.mark.parametrize("level", ["first", "none"])
def test_demo_export_at_a_lower_evidence_level_validates(demo, tmp_path, level):
    write_rdf(read_rdf(demo / "kg.nt"), tmp_path, formats=("nt",), evidence=level)
    report = validate(tmp_path / "kg.nt")
    assert report.conforms, "\n".join(map(str, report.violations[:20]))


def test_small_graph_validates_with_and_without_inference():
    for inference in ("none", "rdfs"):
        report = validate(small(), inference=inference)
        assert report.conforms, [str(v) for v in report.violations]


# ----------------------------------------------------------------------------- broken exports fail

def test_broken_export_fails_with_readable_violations(tmp_path):
    """The acceptance case through `kg validate`: a paper without its title and a confidence of 2.0.

    (On the small graph: a pySHACL run over the demo export takes ~16 s, done once above.)"""
    write_rdf(small_graph(), tmp_path, formats=("nt",))
    lines = (tmp_path / "kg.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    title = next(i for i, line in enumerate(lines) if "<http://purl.org/dc/terms/title>" in line)
    paper = lines[title].split(" ", 1)[0].strip("<>")
    conf = next(i for i, line in enumerate(lines) if "#confidence>" in line)
    link = lines[conf].split(" ", 1)[0].strip("<>")
    lines[conf] = re.sub(r'"[^"]*"\^\^', '"2.0"^^', lines[conf])
    del lines[title]
    (tmp_path / "kg.nt").write_text("".join(lines), encoding="utf-8")
    run = kg("validate", "--graph", str(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    short = lambda iri: "<" + iri[len(BASE):] + ">"
    out = run.stdout.splitlines()
    assert f"Violation: {short(paper)} dcterms:title: a paper has exactly one dcterms:title (a plain string)" in out
    assert (f'Violation: {short(link)} kg:confidence: kg:confidence: at most one xsd:double between 0 and 1 '
            f'(value "2.0"^^xsd:double)') in out
    assert "invalid: 2 violation(s)" in run.stderr
    assert kg("validate", "--graph", str(tmp_path), "--limit", "1").returncode == 1


def _violations(graph: rdflib.Graph) -> list[Violation]:
    report = validate(graph)
    assert not report.conforms
    return report.violations


def test_paper_title_and_abstract_exactly_once():
    g = small()
    paper = node_iri(VIT_PAPER)
    g.remove((paper, DCTERMS.title, None))
    g.add((node_iri(GBRL_PAPER), DCTERMS.abstract, Literal("A second abstract.")))
    found = {(v.focus, v.path, v.message) for v in _violations(g)}
    assert ("<paper/arxiv-2403.12345>", "dcterms:title", "a paper has exactly one dcterms:title (a plain string)") in found
    assert any(f == "<paper/t-0123456789abcdef>" and p == "dcterms:abstract" for f, p, _ in found)


@pytest.mark.parametrize("value", ["2.0", "-0.1"])
def test_confidence_between_0_and_1(value):
    g = small()
    link = link_iri(VIT_PAPER, "uses", "concept/model/vision-transformer")
    g.set((link, KG.confidence, Literal(value, datatype=rdflib.XSD.double)))
    [v] = _violations(g)
    assert (v.focus, v.path) == (f"<{link[len(BASE):]}>", "kg:confidence") and "between 0 and 1" in v.message
    assert v.value == f'"{value}"^^xsd:double'


def test_concept_label_and_class():
    g = small()
    imagenet, cifar = node_iri(IMAGENET), node_iri(CIFAR)
    g.add((imagenet, SKOS.prefLabel, Literal("ImageNet-1k")))
    g.remove((cifar, rdflib.RDF.type, KG.Dataset))
    g.add((cifar, rdflib.RDF.type, KG.Model))
    g.add((cifar, rdflib.RDF.type, KG.Task))
    found = {(v.focus, v.path) for v in _violations(g)}
    assert ("<concept/dataset/imagenet>", "skos:prefLabel") in found
    assert ("<concept/dataset/cifar-10>", "rdf:type") in found


def test_link_evidence_structure():
    g = small()
    link = link_iri(VIT_PAPER, "evaluatesOn", IMAGENET)
    g.set((link, KG.role, Literal("invented")))
    g.set((link, KG.evidenceStart, Literal(500, datatype=rdflib.XSD.integer)))  # after the end
    g.remove((link, PROV.wasDerivedFrom, None))
    g.add((link, PROV.wasDerivedFrom, node_iri(IMAGENET)))  # not a paper
    found = {(v.path, v.message) for v in _violations(g) if v.focus == f"<{link[len(BASE):]}>"}
    paths = {p for p, _ in found}
    assert {"kg:role", "kg:evidenceStart", "prov:wasDerivedFrom"} <= paths


def test_role_must_match_the_predicate():
    g = small()
    link = link_iri(VIT_PAPER, "proposes", "concept/method/contrastive-learning")
    g.set((link, KG.role, Literal("used")))
    [v] = _violations(g)
    assert v.focus == f"<{link[len(BASE):]}>" and "does not match" in v.message and "proposes" in v.message


def test_every_link_needs_its_evidence_and_every_evidence_its_link():
    g = small()
    link = link_iri(VIT_PAPER, "uses", "concept/model/vision-transformer")
    for triple in list(g.triples((link, None, None))):
        g.remove(triple)
    for m in [o for o in g.objects(None, KG.hasMention) if str(o).startswith(str(link) + "#")]:
        g.remove((m, None, None))
    g.remove((node_iri(VIT_PAPER), KG.comparesWith, None))  # its LinkEvidence now reifies nothing
    found = {v.message for v in _violations(g)}
    assert any("without provenance" in m and "kg:uses" in m for m in found), found
    assert any("reifies a statement the graph does not assert" in m for m in found), found


def test_concept_link_missing_provenance():
    g = small()
    link = link_iri(VIT_PAPER, "uses", "concept/model/vision-transformer")
    g.remove((link, KG.extractorVersion, None))
    g.remove((link, KG.hasMention, None))
    g.remove((link, KG.evidenceText, None))
    found = {(v.path, v.message) for v in _violations(g)}
    assert {"kg:extractorVersion", "kg:hasMention", "kg:evidenceText"} <= {p for p, _ in found}


def test_mentions_offsets():
    g = small()
    mention = next(iter(g.subjects(rdflib.RDF.type, KG.Mention)))
    g.set((mention, KG.mentionEnd, Literal(0, datatype=rdflib.XSD.integer)))
    found = {v.path for v in _violations(g) if v.focus.endswith(str(mention).rsplit("/", 1)[-1] + ">")}
    assert "kg:mentionStart" in found


def test_validate_cli_on_missing_graph(tmp_path):
    run = kg("validate", "--graph", str(tmp_path / "nope"))
    assert run.returncode == 2 and "nope" in run.stderr


# ----------------------------------------------------------------------------- provenance on every fact



def test_every_paper_concept_link_has_its_evidence(store):
    values = " ".join(f"kg:{r}" for r in RELATIONS)
    total = run_query(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?r {{ {values} }} ?p ?r ?c }}").rows[0][0]
    complete = run_query(store, f"""
        SELECT (COUNT(*) AS ?n) WHERE {{
          VALUES ?r {{ {values} }}
          ?p ?r ?c .
          ?link a kg:LinkEvidence ; rdf:subject ?p ; rdf:predicate ?r ; rdf:object ?c ;
                kg:role ?role ; kg:confidence ?conf ; kg:extractorVersion ?x ; prov:wasDerivedFrom ?p ;
                kg:evidenceStart ?s ; kg:evidenceEnd ?e ; kg:evidenceText ?t ; kg:hasMention ?m .
          FILTER NOT EXISTS {{ ?link kg:hasMention ?m2 FILTER (STR(?m2) < STR(?m)) }}
          ?m kg:mentionStart ?ms ; kg:mentionEnd ?me ; kg:mentionText ?mt .
          ?p a kg:Paper ; dcterms:title ?title ; dcterms:abstract ?abstract .
          FILTER (?s < ?e && ?ms < ?me && ?conf >= 0 && ?conf <= 1)
          FILTER (?role IN ("proposed", "used", "compared", "mentioned"))
        }}""").rows[0][0]
    assert int(total) > 3000 and complete == total


def test_evidence_sentence_is_the_text_at_its_offsets(store):
    rows = run_query(store, """
        SELECT ?title ?abstract ?s ?e ?t WHERE {
          ?link rdf:subject ?p ; kg:evidenceStart ?s ; kg:evidenceEnd ?e ; kg:evidenceText ?t .
          ?p dcterms:title ?title ; dcterms:abstract ?abstract .
        }""").rows
    assert len(rows) > 3000
    for title, abstract, s, e, t in rows:
        assert (title + "\n" + abstract)[int(s):int(e)] == t


def test_concepts_carry_labels_and_counts(store):
    rows = run_query(store, """
        SELECT ?c (COUNT(DISTINCT ?l) AS ?labels) (SAMPLE(?n) AS ?count) (COUNT(DISTINCT ?p) AS ?papers) WHERE {
          ?c a skos:Concept ; skos:prefLabel ?l ; kg:paperCount ?n .
          OPTIONAL { ?p ?r ?c . ?p a kg:Paper }
        } GROUP BY ?c""").rows
    assert len(rows) > 1000
    assert all(labels == "1" and count == papers for _, labels, count, papers in rows)
    assert run_query(store, "ASK { ?c a skos:Concept ; skos:altLabel ?a }").boolean


def test_no_timestamps(demo):
    g = pyoxigraph.Store()
    g.bulk_load(path=str(demo / "kg.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    datatypes = {row["d"].value for row in g.query("SELECT DISTINCT (DATATYPE(?o) AS ?d) WHERE { ?s ?p ?o FILTER isLiteral(?o) }")}
    assert not datatypes & {str(rdflib.XSD.dateTime), str(rdflib.XSD.dateTimeStamp), str(rdflib.XSD.time)}
    stamps = ["http://www.w3.org/ns/prov#generatedAtTime", "http://purl.org/dc/terms/created",
              "http://purl.org/dc/terms/modified", "http://www.w3.org/ns/prov#startedAtTime"]
    for p in stamps:
        assert not g.query(f"ASK {{ ?s <{p}> ?o }}"), p


def test_every_term_the_export_uses_is_in_the_ontology(store):
    ontology = rdflib.Graph().parse(ontology_path("kg.ttl"), format="turtle")
    declared = {str(s) for s in ontology.subjects()}
    used = {row[0] for row in run_query(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }").rows}
    used |= {row[0] for row in run_query(store, "SELECT DISTINCT ?c WHERE { ?s a ?c }").rows}
    builtin = {str(rdflib.RDF.type), str(rdflib.RDF.subject), str(rdflib.RDF.predicate), str(rdflib.RDF.object), str(rdflib.RDF.first), str(rdflib.RDF.rest)}
    assert used - builtin - declared == set()
    assert URIRef(str(KG) + "LinkEvidence") in set(ontology.subjects())
