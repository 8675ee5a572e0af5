"""The ontology (ontology/kg.ttl): loads everywhere, every term documented and aligned, the vocabularies'
terms declared, the SHACL shapes well-formed, and the generated reference page ontology/README.md current."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from rdflib import URIRef

from kg.ontology_doc import generate, readme_path
from kg.rdf import KG, ontology_path
from kg.schema import ONTOLOGY_IRI, PREFIXES, RELATIONS

NS = rdflib.namespace
LINKS = RELATIONS


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_path("kg.ttl"), format="turtle")


def kg_terms(g: rdflib.Graph) -> set[URIRef]:
    return {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(str(KG))}


def test_loads_in_rdflib_pyoxigraph_and_owlrl(onto):
    store = pyoxigraph.Store()
    store.load(path=str(ontology_path("kg.ttl")), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(onto) > 300
    import owlrl

    closed = rdflib.Graph()
    for t in onto:
        closed.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closed)
    errors = list(closed.subjects(NS.RDF.type, URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")))
    assert errors == [] and len(closed) > len(onto)
    # The class hierarchy holds under OWL RL: every concept class is a skos:Concept, every link a schema:mentions.
    skos_concept = URIRef(PREFIXES["skos"] + "Concept")
    for cls in ("Method", "Model", "Dataset", "Task", "Metric"):
        assert (KG[cls], NS.RDFS.subClassOf, skos_concept) in closed
    for rel in LINKS:
        assert (KG[rel], NS.RDFS.subPropertyOf, URIRef(PREFIXES["schema"] + "mentions")) in closed


def test_every_term_is_documented(onto):
    terms = kg_terms(onto)
    assert len(terms) > 35
    for t in terms:
        types = set(onto.objects(t, NS.RDF.type))
        assert types, t
        for p in (NS.RDFS.label, NS.RDFS.comment):
            assert any(getattr(o, "language", None) == "en" for o in onto.objects(t, p)), (t, p)
        assert (t, NS.RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)) in onto, t
        if types & {NS.OWL.ObjectProperty, NS.OWL.DatatypeProperty}:
            assert onto.value(t, NS.RDFS.domain) is not None and onto.value(t, NS.RDFS.range) is not None, t
    for s in onto.subjects(NS.RDFS.isDefinedBy, None):  # reused terms carry a label too
        assert onto.value(s, NS.RDFS.label) is not None, s


@pytest.mark.parametrize("term, relation, target", [
    ("Paper", "subClassOf", "schema:ScholarlyArticle"), ("Paper", "subClassOf", "fabio:ResearchPaper"),
    ("Concept", "subClassOf", "skos:Concept"), ("Concept", "subClassOf", "schema:DefinedTerm"),
    ("Method", "subClassOf", "mls:Algorithm"), ("Model", "subClassOf", "mls:Model"),
    ("Dataset", "subClassOf", "mls:Dataset"), ("Dataset", "subClassOf", "schema:Dataset"),
    ("Task", "subClassOf", "mls:Task"), ("Metric", "subClassOf", "mls:EvaluationMeasure"),
    ("CodeRepository", "subClassOf", "schema:SoftwareSourceCode"), ("LinkEvidence", "subClassOf", "prov:Entity"),
    ("codeRepository", "subPropertyOf", "schema:codeRepository"), ("listingDate", "subPropertyOf", "dcterms:issued"),
    ("relatedTo", "subPropertyOf", "dcterms:relation"), ("category", "subPropertyOf", "dcterms:subject"),
    *[(rel, "subPropertyOf", "schema:mentions") for rel in LINKS],
])
def test_alignment(onto, term, relation, target):
    prefix, local = target.split(":")
    assert (KG[term], NS.RDFS[relation], URIRef(PREFIXES[prefix] + local)) in onto


def test_cito_only_between_papers(onto):
    cito = PREFIXES["cito"]
    for s, p, o in onto:
        if str(o).startswith(cito) and p in (NS.RDFS.subPropertyOf, NS.RDFS.subClassOf):
            pytest.fail(f"{s} is aligned to CiTO ({o}); CiTO relates papers to papers only")


def test_vocabulary_terms_are_declared(onto):
    declared = kg_terms(onto)
    for path in sorted(ontology_path("vocab").glob("*.ttl")):
        vocab = rdflib.Graph().parse(path, format="turtle")
        used = {p for p in vocab.predicates() if str(p).startswith(str(KG))}
        assert used <= declared, (path.name, used - declared)
        assert KG.entityType in used, path.name
    assert onto.value(KG.caseSensitive, NS.RDFS.range) == NS.XSD.boolean
    assert onto.value(KG.entityType, NS.RDFS.range) == NS.XSD.string


def test_shapes_are_well_formed_shacl():
    import pyshacl

    shapes = rdflib.Graph().parse(ontology_path("shapes.ttl"), format="turtle")
    conforms, _, text = pyshacl.validate(rdflib.Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text
    store = pyoxigraph.Store()
    store.load(path=str(ontology_path("shapes.ttl")), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) > 300  # (blank-node structures: rdflib and Oxigraph count a couple differently)


def test_reference_page_is_current():
    assert readme_path() == Path(ontology_path("README.md"))
    assert readme_path().read_text(encoding="utf-8") == generate(), (
        "ontology/README.md is out of date: run `kg ontology-doc` (python -m kg.ontology_doc)")
    run = subprocess.run([sys.executable, "-m", "kg", "ontology-doc", "--check"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_reference_page_lists_every_term(onto):
    page = generate()
    for t in kg_terms(onto):
        assert f"`kg:{str(t)[len(str(KG)):]}`" in page, t
    for section in ("## Classes", "## Paper → concept links", "## Alignment to other vocabularies",
                    "## What a valid export is (SHACL, shapes.ttl)"):
        assert section in page


def test_stale_page_is_detected(tmp_path):
    from kg.ontology_doc import check, write

    page = tmp_path / "README.md"
    assert not check(page)
    write(page)
    assert check(page)
    page.write_text(page.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert not check(page)
