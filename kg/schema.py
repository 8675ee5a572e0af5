"""The one definition of the paperkg schema names: entity types, roles, relations, node kinds and namespaces.

Every other module (extraction, resolution, graph, RDF, validation, views, CLI, tests) imports these
instead of spelling them out, so a new type or relation is added here and in ontology/kg.ttl only.

Orders are part of the contract:

* ``ENTITY_TYPES`` breaks ties in kg.resolve (the earlier type wins a tied vote), so it is
  Method, Model, Dataset, Task, Metric;
* ``RELATIONS`` lists the paper -> concept relations most specific role first (proposes, then the
  "used" family, then compared, then mentioned), the order the ontology and its README list them;
* ``ROLES`` is the extractor's role order, ``ROLE_RANK`` which role wins when mentions disagree.

>>> ENTITY_TYPES
('Method', 'Model', 'Dataset', 'Task', 'Metric')
>>> EDGE_KEYS[-2:]
('codeRepository', 'relatedTo')
>>> PREFIXES["kg"] == KG_NS == ONTOLOGY_IRI + "#"
True
"""
from __future__ import annotations

__all__ = [
    "ENTITY_TYPES", "ROLES", "ROLE_RANK", "RELATIONS", "CODE_REPOSITORY", "RELATED_TO", "EDGE_KEYS",
    "NODE_KINDS", "EVIDENCE_LEVELS", "BASE", "ONTOLOGY_IRI", "KG_NS", "KGV_NS", "SHAPES_NS", "PREFIXES",
]

ENTITY_TYPES: tuple[str, ...] = ("Method", "Model", "Dataset", "Task", "Metric")
ROLES: tuple[str, ...] = ("proposed", "used", "compared", "mentioned")
# When two mentions of one entity disagree, the more specific role wins.
ROLE_RANK: dict[str, int] = {"proposed": 3, "compared": 2, "used": 1, "mentioned": 0}

# Paper -> concept relations (kg:<relation> in the ontology); each edge of the graph is keyed by one.
RELATIONS: tuple[str, ...] = ("proposes", "uses", "evaluatesOn", "comparesWith", "addresses", "mentions")
CODE_REPOSITORY = "codeRepository"  # paper -> code repository
RELATED_TO = "relatedTo"            # paper -> related paper (kg.related)
EDGE_KEYS: tuple[str, ...] = (*RELATIONS, CODE_REPOSITORY, RELATED_TO)

NODE_KINDS: tuple[str, ...] = ("Paper", "Concept", "CodeRepository")

# How much of each paper -> concept link's provenance the RDF export keeps (`kg build --evidence`):
# "all" every mention span, "first" the first span only, "none" no reified kg:LinkEvidence (the
# direct triple only). Every level validates against ontology/shapes.ttl.
EVIDENCE_LEVELS: tuple[str, ...] = ("all", "first", "none")

# Resources are BASE + node key; ontology terms live under ONTOLOGY_IRI#.
BASE = "https://w3id.org/paperkg/"
ONTOLOGY_IRI = BASE + "ontology"
KG_NS = ONTOLOGY_IRI + "#"
KGV_NS = BASE + "vocab/"       # curated vocabulary concepts (ontology/vocab)
SHAPES_NS = BASE + "shapes#"   # SHACL shapes (ontology/shapes.ttl)

# Prefixes of every export, SPARQL query and documentation page, in this order.
PREFIXES: dict[str, str] = {
    "kg": KG_NS,
    "kgr": BASE,
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "fabio": "http://purl.org/spar/fabio/",
    "mls": "http://www.w3.org/ns/mls#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "cito": "http://purl.org/spar/cito/",
    "bibo": "http://purl.org/ontology/bibo/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
