"""Generate ontology/README.md, the reference page of the paperkg ontology, from ontology/kg.ttl and
ontology/shapes.ttl.

    python -m kg.ontology_doc            # rewrite ontology/README.md
    python -m kg.ontology_doc --check    # exit 1 if ontology/README.md is not current
    kg ontology-doc [--check]            # the same

tests/test_ontology.py fails when the page is out of date, so edit kg.ttl, then regenerate.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import rdflib
from rdflib import BNode, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH

from .rdf import ontology_path
from .schema import BASE, KG_NS, ONTOLOGY_IRI, PREFIXES, RELATIONS, SHAPES_NS

__all__ = ["check", "generate", "readme_path", "write"]

_KG = KG_NS
_NS = sorted(((p, ns) for p, ns in PREFIXES.items() if p != "kgr"), key=lambda kv: -len(kv[1]))
_NS = [("kgsh", SHAPES_NS), *_NS]
_LINKS = RELATIONS


def readme_path() -> Path:
    """ontology/README.md."""
    return ontology_path("README.md")


def _curie(term: object) -> str:
    text = str(term)
    for prefix, ns in _NS:
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns):]}"
    return f"<{text}>"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _en(g: rdflib.Graph, s: object, p: URIRef) -> str:
    values = sorted(g.objects(s, p), key=lambda o: (getattr(o, "language", None) not in (None, "en"), str(o)))
    return _cell(values[0]) if values else ""


def _class_expr(g: rdflib.Graph, node: object) -> str:
    if isinstance(node, BNode):
        union = g.value(node, OWL.unionOf)
        if union is not None:
            return " or ".join(f"`{_curie(m)}`" for m in Collection(g, union))
    return f"`{_curie(node)}`"


def _terms(g: rdflib.Graph, kind: URIRef, local: bool) -> list[URIRef]:
    out = [s for s in g.subjects(RDF.type, kind) if isinstance(s, URIRef) and str(s).startswith(_KG) == local]
    return sorted(set(out), key=lambda t: _curie(t).lower())


def _list(values: Iterable[object], g: rdflib.Graph) -> str:
    return ", ".join(sorted(_class_expr(g, v) for v in values)) or "—"


def _property_rows(g: rdflib.Graph, props: list[URIRef]) -> list[str]:
    rows = ["| property | label | domain | range | sub-property of | characteristics | description |",
            "|---|---|---|---|---|---|---|"]
    for p in props:
        chars = sorted(_curie(t).split(":", 1)[1].replace("Property", "")
                       for t in g.objects(p, RDF.type)
                       if t in (OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.SymmetricProperty,
                                OWL.TransitiveProperty))
        rows.append(f"| `{_curie(p)}` | {_en(g, p, RDFS.label)} | {_list(g.objects(p, RDFS.domain), g)} | "
                    f"{_list(g.objects(p, RDFS.range), g)} | {_list(g.objects(p, RDFS.subPropertyOf), g)} | "
                    f"{', '.join(chars) or '—'} | {_en(g, p, RDFS.comment)} |")
    return rows


def _shape_lines(shapes: rdflib.Graph) -> list[str]:
    lines = []
    for shape in sorted(shapes.subjects(RDF.type, SH.NodeShape), key=_curie):
        if not isinstance(shape, URIRef) or shapes.value(shape, RDFS.label) is None:
            continue
        targets = [f"instances of `{_curie(o)}`" for o in sorted(shapes.objects(shape, SH.targetClass), key=_curie)]
        targets += [f"subjects of `{_curie(o)}`" for o in shapes.objects(shape, SH.targetSubjectsOf)]
        targets += [f"the node `{_curie(o)}`" for o in shapes.objects(shape, SH.targetNode)]
        lines.append(f"- **`{_curie(shape)}`** ({_en(shapes, shape, RDFS.label)}), for {', '.join(targets)}:")
        comment = _en(shapes, shape, RDFS.comment)
        if comment:
            lines.append(f"  {comment}")
        messages = [_cell(m) for m in shapes.objects(shape, SH.message)]
        for prop in shapes.objects(shape, SH.property):
            messages += [_cell(m) for m in shapes.objects(prop, SH.message)]
        for c in shapes.objects(shape, SH.sparql):
            messages += [_cell(m) + " (SPARQL)" for m in shapes.objects(c, SH.message)]
        lines.extend(f"  - {m}" for m in sorted(set(messages)))
    return lines


def generate(ontology: str | Path | None = None, shapes: str | Path | None = None) -> str:
    """The Markdown text of the reference page (deterministic)."""
    g = rdflib.Graph().parse(ontology or ontology_path("kg.ttl"), format="turtle")
    sg = rdflib.Graph().parse(shapes or ontology_path("shapes.ttl"), format="turtle")
    onto = URIRef(ONTOLOGY_IRI)
    out = [
        "# paperkg ontology reference",
        "",
        "<!-- Generated from ontology/kg.ttl and ontology/shapes.ttl by `kg ontology-doc`",
        "     (python -m kg.ontology_doc). Do not edit by hand: tests/test_ontology.py checks it is current. -->",
        "",
        f"**IRI** `{ONTOLOGY_IRI}` · **version** {g.value(onto, OWL.versionInfo)} · "
        f"**license** <{g.value(onto, URIRef('http://purl.org/dc/terms/license'))}> · "
        f"**terms** `{_KG}` · **resources** `{BASE}` + node key",
        "",
        _en(g, onto, RDFS.comment),
        "",
        "Files: [`kg.ttl`](kg.ttl) (OWL), [`shapes.ttl`](shapes.ttl) (SHACL: what a valid export is; "
        "`kg validate --graph DIR`), [`vocab/`](vocab/) (SKOS vocabularies of known concepts), "
        "[`queries/`](queries/) (named SPARQL queries, `kg query NAME`).",
        "",
        "## Prefixes",
        "",
        "| prefix | namespace |",
        "|---|---|",
    ]
    out += [f"| `{p}:` | `{ns}` |" for p, ns in PREFIXES.items()]
    out += ["", "## How the graph is shaped", "",
            "- a paper: `kg:Paper`, `schema:ScholarlyArticle`; `dcterms:title`, `dcterms:abstract`, "
            "`fabio:hasArXivId`, `bibo:doi`, `fabio:hasURL`, `kg:listingDate`, `dcterms:creator` + `kg:authorList`, "
            "`kg:category`, `dcterms:source` (where it was read, `path:line`).",
            "- a concept: `skos:Concept` and one of `kg:Method`, `kg:Model`, `kg:Dataset`, `kg:Task`, "
            "`kg:Metric`; `skos:prefLabel`, `skos:altLabel` (aliases), `kg:paperCount`.",
            "- a link: the direct triple `<paper> kg:uses <concept>` (or another sub-property of "
            "`schema:mentions`) **and** a `kg:LinkEvidence` reifying it (`rdf:subject`, `rdf:predicate`, "
            "`rdf:object`) with its provenance: `kg:role`, `kg:confidence`, `kg:evidenceStart`/`End`/`Text` "
            "(the sentence), `kg:hasMention` spans (`kg:Mention`), `kg:extractorVersion`, "
            "`prov:wasDerivedFrom` the paper. IRIs are stable: `link/<paper id>/<relation>/<type>/<slug>`.",
            "- related papers: `kg:relatedTo` from a paper to each of its related papers, plus a `kg:LinkEvidence` "
            "with `kg:score`, `kg:rank` and `kg:reason` (ordered in `kg:reasonList`).",
            "- no timestamps: rebuilding the same input gives byte-identical files.",
            "",
            "Provenance of a link, in SPARQL:",
            "",
            "```sparql",
            "SELECT ?role ?confidence ?sentence ?extractor WHERE {",
            "  ?link rdf:subject ?paper ; rdf:predicate kg:evaluatesOn ; rdf:object ?dataset ;",
            "        kg:role ?role ; kg:confidence ?confidence ; kg:evidenceText ?sentence ;",
            "        kg:extractorVersion ?extractor .",
            "  ?dataset skos:prefLabel \"ImageNet\" .",
            "}",
            "```",
            ""]

    classes = _terms(g, OWL.Class, True)
    out += ["## Classes", "", "| class | label | sub-class of | description |", "|---|---|---|---|"]
    for c in classes:
        out.append(f"| `{_curie(c)}` | {_en(g, c, RDFS.label)} | {_list(g.objects(c, RDFS.subClassOf), g)} | "
                   f"{_en(g, c, RDFS.comment)} |")
    disjoint = []
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = g.value(axiom, OWL.members)
        if members is not None:
            disjoint.append(", ".join(f"`{_curie(m)}`" for m in Collection(g, members)))
    out += [""] + [f"Pairwise disjoint: {d}." for d in sorted(disjoint)] + [""]

    object_props = _terms(g, OWL.ObjectProperty, True)
    links = [p for p in object_props if str(p)[len(_KG):] in _LINKS]
    others = [p for p in object_props if p not in links]
    out += ["## Paper → concept links", "",
            "Every one is a sub-property of `schema:mentions`; the role the extractor found selects it "
            "(`proposed` → proposes, `compared` → comparesWith, `used` → uses / evaluatesOn (a Dataset) / "
            "addresses (a Task), `mentioned` → mentions).", ""]
    out += _property_rows(g, links) + [""]
    out += ["## Other object properties", ""] + _property_rows(g, others) + [""]
    data_props = _terms(g, OWL.DatatypeProperty, True)
    vocab_props = [p for p in data_props if str(p)[len(_KG):] in ("entityType", "caseSensitive")]
    out += ["## Datatype properties", ""] + _property_rows(g, [p for p in data_props if p not in vocab_props]) + [""]
    out += ["## Curated vocabulary properties (ontology/vocab/*.ttl)", ""] + _property_rows(g, vocab_props) + [""]

    out += ["## Alignment to other vocabularies", "",
            "| vocabulary | terms used or aligned to | paperkg terms |", "|---|---|---|"]
    vocabularies = [("schema.org", "schema"), ("DCTerms", "dcterms"), ("FaBiO", "fabio"), ("ML-Schema", "mls"),
                    ("SKOS", "skos"), ("PROV-O", "prov"), ("CiTO", "cito"),
                    ("BIBO", "bibo")]
    for name, prefix in vocabularies:
        ns = PREFIXES[prefix]
        used = sorted({_curie(o) for s, p, o in g if isinstance(o, URIRef) and str(o).startswith(ns)
                       and p in (RDFS.subClassOf, RDFS.subPropertyOf)}
                      | {_curie(s) for s in g.subjects(RDFS.isDefinedBy, None) if str(s).startswith(ns)})
        mapped = sorted({_curie(s) for s, p, o in g if isinstance(o, URIRef) and str(o).startswith(ns)
                         and p in (RDFS.subClassOf, RDFS.subPropertyOf) and str(s).startswith(_KG)})
        out.append(f"| {name} `{ns}` | {', '.join(f'`{u}`' for u in used)} | "
                   f"{', '.join(f'`{m}`' for m in mapped) or '— (used directly)'} |")
    out += ["", "CiTO relates papers to papers (citations) only; paper → concept links never use it.", ""]

    external = sorted({s for s in g.subjects(RDFS.isDefinedBy, None)
                       if isinstance(s, URIRef) and not str(s).startswith(_KG)}, key=_curie)
    out += ["## Terms reused from other vocabularies", "",
            "Declared in kg.ttl so that tools see their kind; their meaning is their vocabulary's.", "",
            "| term | kind | label | how paperkg uses it |", "|---|---|---|---|"]
    for t in external:
        kinds = sorted(_curie(k).split(":", 1)[1] for k in g.objects(t, RDF.type))
        out.append(f"| `{_curie(t)}` | {', '.join(kinds)} | {_en(g, t, RDFS.label)} | "
                   f"{_en(g, t, RDFS.comment) or '—'} |")
    out += ["", "## What a valid export is (SHACL, shapes.ttl)", "",
            "`kg validate --graph DIR` checks an export against these shapes with pySHACL "
            "(ontology mixed in, no inference needed) and lists every violation with its focus node, "
            "path and message.", ""]
    out += _shape_lines(sg)
    return "\n".join(line.rstrip() for line in out).rstrip() + "\n"


def write(path: str | Path | None = None) -> Path:
    """Regenerate the page (atomically); returns its path."""
    from .io import atomic_write_text

    target = Path(path) if path else readme_path()
    atomic_write_text(target, generate())
    return target


def check(path: str | Path | None = None) -> bool:
    """Whether the page on disk equals what generate() gives."""
    target = Path(path) if path else readme_path()
    return target.is_file() and target.read_text(encoding="utf-8") == generate()


def _main(argv: list[str]) -> int:
    if "--check" in argv:
        if check():
            print(f"{readme_path()} is current")
            return 0
        print(f"{readme_path()} is out of date: run `python -m kg.ontology_doc`", file=sys.stderr)
        return 1
    print(f"wrote {write()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
