"""The graph as RDF under the paperkg ontology (ontology/kg.ttl): the mapping, and the files.

`iter_triples` maps the networkx graph (schema in kg.graph, names in kg.schema) to RDF, exactly the
terms ontology/shapes.ttl constrains, and `from_rdf` maps it back; `write_rdf` writes kg.nt, kg.ttl and
kg.jsonld deterministically through pyoxigraph's serializers: the triples are rendered as N-Triples,
put in order by an external merge sort (so memory does not grow with the graph), and the sorted
N-Triples are streamed into the Turtle serializer. JSON-LD is the one format written here: pyoxigraph
writes expanded JSON-LD only, and kg.jsonld keeps the compact form (an @context of the prefixes, one
node object a line), about 40 % smaller.

Mapping (see ontology/kg.ttl for every term)
--------------------------------------------
node "paper/<id>"         <BASE paper/<id>> a kg:Paper, schema:ScholarlyArticle; dcterms:title,
                          dcterms:abstract, fabio:hasURL, fabio:hasArXivId, kg:listingDate,
                          dcterms:creator (one per author) + kg:authorList (rdf:List, keeps order),
                          kg:category, dcterms:source ("path:line"), dcterms:identifier (the input
                          record's own id), bibo:doi (one per DOI, normalised)
node "concept/<t>/<slug>" a kg:<Type>, skos:Concept; skos:prefLabel, skos:altLabel (aliases other
                          than the label), kg:paperCount, kg:labelKey (derived: lower-cased names)
node "repo/<host>/..."    a kg:CodeRepository, schema:SoftwareSourceCode; schema:url
edge paper -> concept     the direct triple <paper> kg:<relation> <concept>, and (evidence level "all"
                          or "first") a reified statement
                          <BASE link/<paper id>/<relation>/<type>/<slug>> a kg:LinkEvidence with
                          rdf:subject/predicate/object, kg:role, kg:confidence, kg:evidenceStart/End/Text,
                          kg:hasMention (<link#m<start>-<end>> a kg:Mention; kg:mentionStart/End/Text;
                          every mention at "all", the first at "first"), kg:extractorVersion,
                          prov:wasDerivedFrom <paper>
edge paper -> repo        <paper> kg:codeRepository <repo>
edge paper -> paper       <u> kg:relatedTo <v> (v is among u's related papers) and a kg:LinkEvidence with
                          kg:score, kg:rank and kg:reason (one per reason) + kg:reasonList (rdf:List, in order)
graph.graph               <BASE> a kg:KnowledgeGraph; kg:graphName, kg:extractorVersion, kg:evidenceLevel
                          (graph attribute "evidence"; only when not "all")

Only that schema is mapped: a node kind, concept type or edge key outside it raises ValueError, and
attributes the schema does not name are not exported. Import fills schema attributes absent from the
RDF with None (lists with []); categories, sources, DOIs and aliases are sets in RDF and come back sorted.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import heapq
import io
import itertools
import json
import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

import networkx as nx
import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, Namespace, URIRef

from .io import atomic_open
from .schema import (BASE, CODE_REPOSITORY, EDGE_KEYS, ENTITY_TYPES, EVIDENCE_LEVELS, KG_NS, ONTOLOGY_IRI, PREFIXES, RELATED_TO,
                     RELATIONS)

__all__ = [
    "BASE", "KG", "SCHEMA", "DCTERMS", "FABIO", "MLS", "SKOS", "PROV", "CITO", "BIBO", "PREFIXES",
    "RELATIONS", "CONCEPT_CLASSES", "ONTOLOGY_IRI", "FORMATS", "EVIDENCE_LEVELS",
    "ontology_path", "node_iri", "node_key", "link_iri", "label_key",
    "iter_triples", "to_rdf", "from_rdf", "read_rdf", "write_rdf", "serialize", "escape_string",
]

# rdflib namespaces of kg.schema's prefixes, for code and tests that build rdflib terms.
KG = Namespace(KG_NS)
SCHEMA = Namespace(PREFIXES["schema"])
DCTERMS = Namespace(PREFIXES["dcterms"])
FABIO = Namespace(PREFIXES["fabio"])
MLS = Namespace(PREFIXES["mls"])
SKOS = Namespace(PREFIXES["skos"])
PROV = Namespace(PREFIXES["prov"])
CITO = Namespace(PREFIXES["cito"])
BIBO = Namespace(PREFIXES["bibo"])

FORMATS: dict[str, str] = {"ttl": "kg.ttl", "nt": "kg.nt", "jsonld": "kg.jsonld"}

CONCEPT_CLASSES: dict[str, URIRef] = {t: KG[t] for t in ENTITY_TYPES}

Triple = ox.Triple


class _Terms:
    """pyoxigraph NamedNodes of one namespace, made once: the export builds millions of triples."""

    def __init__(self, ns: str, names: str) -> None:
        for name in names.split():
            setattr(self, name, ox.NamedNode(ns + name))


_K = _Terms(KG_NS, " ".join(("CodeRepository KnowledgeGraph LinkEvidence Mention Paper authorList category",
                             "confidence evidenceEnd evidenceStart evidenceText extractorVersion graphName",
                             "evidenceLevel hasMention labelKey listingDate mentionEnd mentionStart mentionText",
                             "paperCount",
                             "rank reason reasonList role score", *ENTITY_TYPES, *EDGE_KEYS)))
_R = _Terms(PREFIXES["rdf"], "first nil object predicate rest subject type")
_X = _Terms(PREFIXES["xsd"], "anyURI date double integer")
_P = _Terms(PREFIXES["prov"], "wasDerivedFrom")
_D = _Terms(PREFIXES["dcterms"], "abstract creator identifier source title")
_S = _Terms(PREFIXES["skos"], "Concept altLabel prefLabel")
_O = _Terms(PREFIXES["schema"], "ScholarlyArticle SoftwareSourceCode url")
_F = _Terms(PREFIXES["fabio"], "hasArXivId hasURL")
_B = _Terms(PREFIXES["bibo"], "doi")

_CLASS_OF = {t: getattr(_K, t) for t in ENTITY_TYPES}
_TYPE_OF = {c.value: t for t, c in _CLASS_OF.items()}
_PREDICATE_OF = {k: getattr(_K, k) for k in EDGE_KEYS}
_KEY_OF = {p.value: k for k, p in _PREDICATE_OF.items()}
_GRAPH = ox.NamedNode(BASE)


def ontology_path(*parts: str) -> Path:
    """Path of a file shipped in the ontology folder (packaged as kg.ontology).

    >>> ontology_path("kg.ttl").name
    'kg.ttl'
    """
    try:
        from importlib.resources import files

        candidate = Path(str(files("kg.ontology").joinpath(*parts)))
        if candidate.exists():
            return candidate
    except (ModuleNotFoundError, TypeError, ValueError, NotImplementedError):
        pass
    return Path(__file__).resolve().parents[1].joinpath("ontology", *parts)


# --------------------------------------------------------------------------- IRIs

_IRI_SAFE = "/:@!$&'()*+,;=-._~"


@functools.lru_cache(maxsize=1 << 16)
def _iri(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"node keys must be strings, got {key!r}")
    return BASE + quote(key, safe=_IRI_SAFE)


def node_iri(key: str) -> URIRef:
    """IRI of a node key: BASE + the key, percent-encoding characters not allowed in an IRI path.

    >>> str(node_iri("concept/dataset/imagenet"))
    'https://w3id.org/paperkg/concept/dataset/imagenet'
    """
    return URIRef(_iri(key))


def node_key(iri: str) -> str:
    """Node key of an IRI made by node_iri (IRIs outside BASE are returned unchanged).

    >>> node_key("https://w3id.org/paperkg/paper/x%20y")
    'paper/x y'
    """
    s = str(iri)
    return unquote(s[len(BASE):]) if s.startswith(BASE) else s


def _link(u: str, key: str, v: str) -> str:
    first = u[len("paper/"):] if u.startswith("paper/") and u[6:] and "/" not in u[6:] else "~" + quote(u, safe="")
    last = v[len("concept/"):] if v.startswith("concept/") and v[8:] else v
    if last.startswith("~") or (last != v and last.split("/", 1)[0] in ("paper", "repo", "concept")):
        last = "~" + quote(v, safe="")  # keeps the mapping one-to-one for odd keys
    return BASE + "link/" + quote(f"{first}/{key}/{last}", safe=_IRI_SAFE)


def link_iri(u: str, key: str, v: str) -> URIRef:
    """Stable IRI of the reified edge u -key-> v: BASE link/<paper id>/<relation>/<concept type>/<slug>.

    >>> str(link_iri("paper/p1", "uses", "concept/model/bert"))
    'https://w3id.org/paperkg/link/p1/uses/model/bert'
    """
    if key not in _PREDICATE_OF:
        raise ValueError(f"edge key {key!r} is not one of {', '.join(EDGE_KEYS)}")
    return URIRef(_link(u, key, v))


def label_key(name: str) -> str:
    """The kg:labelKey form of a concept name: lower-cased, as SPARQL LCASE does.

    >>> label_key("ImageNet")
    'imagenet'
    """
    return name.lower()


def escape_string(text: str) -> str:
    """Body of an N-Triples/Turtle/SPARQL string literal (canonical N-Triples escapes, by pyoxigraph).

    >>> escape_string('say "hi"\\n')
    'say \\\\"hi\\\\"\\\\n'
    """
    return str(ox.Literal(text))[1:-1]


# --------------------------------------------------------------------------- export mapping

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_X.integer)


def _double(value: float) -> ox.Literal:
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return ox.Literal(repr(float(value)), datatype=_X.double)  # shortest text reading back as this float


def _date(value: str) -> ox.Literal:
    if _ISO_DATE.fullmatch(value):
        try:
            _dt.date.fromisoformat(value)
            return ox.Literal(value, datatype=_X.date)
        except ValueError:
            pass
    return ox.Literal(value)  # a listing date that is not a calendar date stays a plain string


def _rdf_list(s: ox.NamedNode, holder: ox.NamedNode, stem: str, items: list[str]) -> Iterator[Triple]:
    """An rdf:List of strings with blank nodes named after the subject, so the bytes are stable."""
    if not items:
        return
    stem += hashlib.sha1(s.value.encode("utf-8")).hexdigest()[:16]
    cells = [ox.BlankNode(f"{stem}n{i}") for i in range(len(items))]
    yield Triple(s, holder, cells[0])
    for i, item in enumerate(items):
        yield Triple(cells[i], _R.first, ox.Literal(item))
        yield Triple(cells[i], _R.rest, cells[i + 1] if i + 1 < len(cells) else _R.nil)


def _strings(s: ox.NamedNode, pred: ox.NamedNode, values: Iterable[str] | None) -> Iterator[Triple]:
    for value in dict.fromkeys(values or ()):
        yield Triple(s, pred, ox.Literal(value))


def _optional(s: ox.NamedNode, pred: ox.NamedNode, value: str | None, datatype: ox.NamedNode | None = None
              ) -> Iterator[Triple]:
    if value is not None:
        yield Triple(s, pred, ox.Literal(value, datatype=datatype))


def _paper(s: ox.NamedNode, a: Mapping) -> Iterator[Triple]:
    yield Triple(s, _R.type, _K.Paper)
    yield Triple(s, _R.type, _O.ScholarlyArticle)
    yield from _optional(s, _D.title, a.get("title"))
    yield from _optional(s, _D.abstract, a.get("abstract"))
    yield from _optional(s, _F.hasURL, a.get("url"), _X.anyURI)
    authors = list(a.get("authors") or ())
    yield from _strings(s, _D.creator, authors)
    yield from _rdf_list(s, _K.authorList, "al", authors)
    if a.get("date") is not None:
        yield Triple(s, _K.listingDate, _date(a["date"]))
    yield from _optional(s, _F.hasArXivId, a.get("arxiv_id"))
    yield from _strings(s, _K.category, a.get("categories"))
    yield from _strings(s, _D.source, a.get("sources"))
    yield from _optional(s, _D.identifier, a.get("record_id"))
    yield from _strings(s, _B.doi, a.get("dois"))


def _concept(s: ox.NamedNode, a: Mapping, key: str) -> Iterator[Triple]:
    cls = _CLASS_OF.get(a.get("type"))
    if cls is None:
        raise ValueError(f"concept {key!r} has type {a.get('type')!r}, not one of {', '.join(ENTITY_TYPES)}")
    label, aliases = a["label"], list(a.get("aliases") or ())
    yield Triple(s, _R.type, _S.Concept)
    yield Triple(s, _R.type, cls)
    yield Triple(s, _S.prefLabel, ox.Literal(label))
    yield from _strings(s, _S.altLabel, (x for x in aliases if x != label))  # SKOS keeps them disjoint
    yield Triple(s, _K.paperCount, _int(a["paper_count"]))
    # Derived, so a search by name in any case is an index lookup; from_rdf ignores it.
    yield from _strings(s, _K.labelKey, (k for k in map(label_key, [label, *aliases]) if k))


def _repo(s: ox.NamedNode, a: Mapping) -> Iterator[Triple]:
    yield Triple(s, _R.type, _K.CodeRepository)
    yield Triple(s, _R.type, _O.SoftwareSourceCode)
    yield from _optional(s, _O.url, a.get("url"), _X.anyURI)


_NODES = {"Paper": _paper, "CodeRepository": _repo}


def _node(key: str, a: Mapping) -> Iterator[Triple]:
    s = ox.NamedNode(_iri(key))
    kind = a.get("kind")
    if kind == "Concept":
        return _concept(s, a, key)
    if kind not in _NODES:
        raise ValueError(f"node {key!r} has kind {kind!r}, not one of Paper, Concept, CodeRepository")
    return _NODES[kind](s, a)


def _statement(link: ox.NamedNode, su: ox.NamedNode, pred: ox.NamedNode, sv: ox.NamedNode) -> Iterator[Triple]:
    yield Triple(link, _R.type, _K.LinkEvidence)
    yield Triple(link, _R.subject, su)
    yield Triple(link, _R.predicate, pred)
    yield Triple(link, _R.object, sv)
    yield Triple(link, _P.wasDerivedFrom, su)


def _concept_link(link: ox.NamedNode, a: Mapping, evidence: str) -> Iterator[Triple]:
    yield from _optional(link, _K.role, a.get("role"))
    if a.get("confidence") is not None:
        yield Triple(link, _K.confidence, _double(a["confidence"]))
    mentions = a.get("mentions") or ()
    for start, end, text in mentions[:1] if evidence == "first" else mentions:
        m = ox.NamedNode(f"{link.value}#m{start}-{end}")
        yield Triple(link, _K.hasMention, m)
        yield Triple(m, _R.type, _K.Mention)
        yield Triple(m, _K.mentionStart, _int(start))
        yield Triple(m, _K.mentionEnd, _int(end))
        yield Triple(m, _K.mentionText, ox.Literal(text))
    sentence = a.get("evidence")
    if sentence is not None:
        yield Triple(link, _K.evidenceStart, _int(sentence["start"]))
        yield Triple(link, _K.evidenceEnd, _int(sentence["end"]))
        yield Triple(link, _K.evidenceText, ox.Literal(sentence["text"]))
    yield from _optional(link, _K.extractorVersion, a.get("extractor"))


def _related_link(link: ox.NamedNode, sv: ox.NamedNode, a: Mapping) -> Iterator[Triple]:
    yield Triple(link, _P.wasDerivedFrom, sv)  # a pick made from both papers
    if a.get("score") is not None:
        yield Triple(link, _K.score, _double(a["score"]))
    if a.get("rank") is not None:
        yield Triple(link, _K.rank, _int(a["rank"]))
    reasons = list(a.get("reasons") or ())
    yield from _strings(link, _K.reason, reasons)
    yield from _rdf_list(link, _K.reasonList, "rl", reasons)


def _edge(u: str, v: str, key: str, a: Mapping, evidence: str) -> Iterator[Triple]:
    pred = _PREDICATE_OF.get(key)
    if pred is None:
        raise ValueError(f"edge {u!r} -> {v!r} has key {key!r}, not one of {', '.join(EDGE_KEYS)}")
    su, sv = ox.NamedNode(_iri(u)), ox.NamedNode(_iri(v))
    yield Triple(su, pred, sv)
    if key == CODE_REPOSITORY or (key != RELATED_TO and evidence == "none"):
        return
    link = ox.NamedNode(_link(u, key, v))
    yield from _statement(link, su, pred, sv)
    if key == RELATED_TO:
        yield from _related_link(link, sv, a)
    else:
        yield from _concept_link(link, a, evidence)


def _check_level(evidence: str) -> None:
    if evidence not in EVIDENCE_LEVELS:
        raise ValueError(f"unknown evidence level {evidence!r}; choose from {', '.join(EVIDENCE_LEVELS)}")


def iter_triples(g: nx.MultiDiGraph, evidence: str | None = None) -> Iterator[Triple]:
    """Every triple of the export of `g` (pyoxigraph Triples, order not significant).

    `evidence` is one of EVIDENCE_LEVELS: how much provenance each paper -> concept link keeps
    (None: the graph's own g.graph["evidence"], as from_rdf reads it, else "all"). A level other than
    "all" is stated on the graph resource (kg:evidenceLevel), so the shapes know it is by design.

    >>> g = read_rdf("out/kg.nt")
    >>> sum(1 for _ in iter_triples(g)) == sum(1 for _ in open("out/kg.nt"))
    True
    >>> sum(1 for _ in iter_triples(g, "none")) < sum(1 for _ in iter_triples(g, "first"))
    True
    """
    evidence = evidence or g.graph.get("evidence") or "all"
    _check_level(evidence)
    yield Triple(_GRAPH, _R.type, _K.KnowledgeGraph)
    yield from _optional(_GRAPH, _K.graphName, g.graph.get("name"))
    yield from _optional(_GRAPH, _K.extractorVersion, g.graph.get("extractor"))
    if evidence != "all":  # absent means "all", which keeps the default export as it always was
        yield Triple(_GRAPH, _K.evidenceLevel, ox.Literal(evidence))
    for key, attrs in g.nodes(data=True):
        yield from _node(key, attrs)
        for _, v, edge_key, edge_attrs in g.out_edges(key, keys=True, data=True):
            yield from _edge(key, v, edge_key, edge_attrs, evidence)


# --------------------------------------------------------------------------- rdflib bridge

_XSD_STRING = PREFIXES["xsd"] + "string"


def _to_rdflib(t: Any) -> rdflib.term.Node:
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    dt = t.datatype.value
    return Literal(t.value, datatype=None if dt == _XSD_STRING else URIRef(dt))


def _to_ox(t: Any) -> Any:
    if isinstance(t, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return t
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)) if t.datatype else None)
    raise TypeError(f"not an RDF term: {t!r}")


def _ox_triples(triples: Iterable) -> Iterator[Triple | ox.Quad]:
    """pyoxigraph triples (or the default-graph quads ox.parse yields) of rdflib or pyoxigraph input."""
    for t in triples:
        if isinstance(t, (ox.Triple, ox.Quad)):
            yield t
        else:
            s, p, o = t
            yield Triple(_to_ox(s), _to_ox(p), _to_ox(o))


def to_rdf(g: nx.MultiDiGraph, evidence: str | None = None) -> rdflib.Graph:
    """The graph as an rdflib Graph under the paperkg ontology, prefixes bound.

    Examples
    --------
    >>> g = read_rdf("out/kg.nt")
    >>> rdf = to_rdf(g)
    >>> rdf.value(node_iri("concept/dataset/imagenet"), SKOS.prefLabel)
    rdflib.term.Literal('ImageNet')
    >>> dict(from_rdf(rdf).nodes(data=True)) == dict(g.nodes(data=True))
    True
    """
    rdf = rdflib.Graph(bind_namespaces="core")
    for prefix, ns in PREFIXES.items():
        rdf.bind(prefix, ns, override=True, replace=True)
    add = rdf.add
    for t in iter_triples(g, evidence):
        add((_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)))
    return rdf


# --------------------------------------------------------------------------- import mapping

class _Props:
    """The objects of each predicate (by IRI) of one subject, with the whole index for lists and mentions."""

    __slots__ = ("props", "index")

    def __init__(self, props: Mapping[str, list], index: Mapping) -> None:
        self.props, self.index = props, index

    def one(self, pred: ox.NamedNode) -> str | None:
        """The lexical form of the (first, by text) object of `pred`, or None."""
        objs = self.props.get(pred.value)
        return None if not objs else min(o.value for o in objs)

    def int(self, pred: ox.NamedNode) -> int | None:
        text = self.one(pred)
        return None if text is None else int(text)

    def float(self, pred: ox.NamedNode) -> float | None:
        text = self.one(pred)
        return None if text is None else float(text)

    def set(self, pred: ox.NamedNode) -> list[str]:
        return sorted({o.value for o in self.props.get(pred.value, ())})

    def list(self, holder: ox.NamedNode, item: ox.NamedNode) -> list[str]:
        """The rdf:List of `holder` in order (or the `item` values sorted, if the list is broken)."""
        heads = self.props.get(holder.value)
        if heads:
            items, node, seen = [], heads[0], set()
            while node != _R.nil and node not in seen and node in self.index:
                seen.add(node)
                cell = self.index[node]
                first, rest = cell.get(_R.first.value), cell.get(_R.rest.value)
                if not first or not rest:
                    break
                items.append(first[0].value)
                node = rest[0]
            if node == _R.nil:
                return items
        return self.set(item)


def _paper_attrs(p: _Props) -> dict:
    return {"kind": "Paper", "title": p.one(_D.title), "abstract": p.one(_D.abstract), "url": p.one(_F.hasURL),
            "authors": p.list(_K.authorList, _D.creator), "date": p.one(_K.listingDate),
            "arxiv_id": p.one(_F.hasArXivId), "categories": p.set(_K.category), "sources": p.set(_D.source),
            "record_id": p.one(_D.identifier), "dois": p.set(_B.doi)}


def _concept_attrs(p: _Props, types: set[str]) -> dict:
    type_ = next((_TYPE_OF[t] for t in sorted(types) if t in _TYPE_OF), None)
    label = p.one(_S.prefLabel)
    aliases = set(p.set(_S.altLabel)) | ({label} if label is not None else set())
    return {"kind": "Concept", "type": type_, "label": label, "aliases": sorted(aliases),
            "paper_count": p.int(_K.paperCount)}


def _concept_edge(key: str, p: _Props | None) -> dict:
    if p is None:  # exported at evidence level "none": the direct triple only
        return {"relation": key, "role": None, "confidence": None, "mentions": [], "evidence": None,
                "extractor": None}
    mentions = []
    for m in p.props.get(_K.hasMention.value, ()):
        mp = _Props(p.index.get(m, {}), p.index)
        mentions.append([mp.int(_K.mentionStart), mp.int(_K.mentionEnd), mp.one(_K.mentionText)])
    mentions.sort(key=lambda m: (m[0], m[1]))
    start, end, text = p.int(_K.evidenceStart), p.int(_K.evidenceEnd), p.one(_K.evidenceText)
    sentence = None if start is None and end is None and text is None else {"start": start, "end": end, "text": text}
    return {"relation": key, "role": p.one(_K.role), "confidence": p.float(_K.confidence), "mentions": mentions,
            "evidence": sentence, "extractor": p.one(_K.extractorVersion)}


def _related_edge(p: _Props | None) -> dict:
    if p is None:
        return {"relation": RELATED_TO, "score": None, "rank": None, "reasons": []}
    return {"relation": RELATED_TO, "score": p.float(_K.score), "rank": p.int(_K.rank),
            "reasons": p.list(_K.reasonList, _K.reason)}


def from_rdf(rdf: rdflib.Graph | Iterable) -> nx.MultiDiGraph:
    """The networkx graph back from its RDF export (inverse of iter_triples for the kg.graph schema).

    `rdf` is an rdflib Graph or any iterable of triples (pyoxigraph or rdflib terms).

    Examples
    --------
    >>> h = from_rdf(rdflib.Graph().parse("out/kg.ttl"))
    >>> sorted(h.graph)
    ['extractor', 'name']
    """
    index: dict = defaultdict(lambda: defaultdict(list))
    for t in _ox_triples(rdf):
        objs = index[t.subject][t.predicate.value]
        if t.object not in objs:
            objs.append(t.object)
    g = nx.MultiDiGraph()
    if _GRAPH in index:
        p = _Props(index[_GRAPH], index)
        g.graph.update({k: v for k, v in (("name", p.one(_K.graphName)), ("extractor", p.one(_K.extractorVersion)),
                                         ("evidence", p.one(_K.evidenceLevel))) if v is not None})
    nodes: dict[str, dict] = {}
    links: dict[tuple[str, str, str], _Props] = {}
    rdf_type = _R.type.value
    for s, props in index.items():
        if not isinstance(s, ox.NamedNode) or s == _GRAPH:
            continue
        types = {o.value for o in props.get(rdf_type, ())}
        p = _Props(props, index)
        if _K.LinkEvidence.value in types:
            u, pred, v = p.one(_R.subject), p.one(_R.predicate), p.one(_R.object)
            if u is not None and v is not None and pred in _KEY_OF:
                links[(node_key(u), _KEY_OF[pred], node_key(v))] = p
        elif _K.Paper.value in types:
            nodes[node_key(s.value)] = _paper_attrs(p)
        elif _K.CodeRepository.value in types:
            nodes[node_key(s.value)] = {"kind": "CodeRepository", "url": p.one(_O.url)}
        elif _S.Concept.value in types:
            nodes[node_key(s.value)] = _concept_attrs(p, types)
    for key in sorted(nodes):
        g.add_node(key, **nodes[key])
    edges = []
    for s, props in index.items():
        if not isinstance(s, ox.NamedNode) or node_key(s.value) not in nodes:
            continue
        u = node_key(s.value)
        for pred, objs in props.items():
            key = _KEY_OF.get(pred)
            if key is None:
                continue
            for o in objs:
                v = node_key(o.value)
                statement = links.get((u, key, v))
                if key == CODE_REPOSITORY:
                    attrs = {"relation": key}
                elif key == RELATED_TO:
                    attrs = _related_edge(statement)
                else:
                    attrs = _concept_edge(key, statement)
                edges.append((u, key, v, attrs))
    edges.sort(key=lambda e: e[:3])
    for u, key, v, attrs in edges:
        g.add_edge(u, v, key=key, **attrs)
    return g


_OX_FORMATS = {".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD}


def read_rdf(path: str | Path) -> nx.MultiDiGraph:
    """Load kg.nt / kg.ttl / kg.jsonld (or a directory holding one) back into the networkx graph.

    Parsing is pyoxigraph's (an order of magnitude faster than rdflib's parsers).

    >>> read_rdf("out").number_of_nodes() > 0
    True
    """
    path = Path(path)
    if path.is_dir():
        found = [path / name for name in ("kg.nt", "kg.ttl", "kg.jsonld") if (path / name).exists()]
        if not found:
            raise FileNotFoundError(f"no kg.nt, kg.ttl or kg.jsonld in {path}")
        path = found[0]
    return from_rdf(ox.parse(path=str(path), format=_OX_FORMATS.get(path.suffix, ox.RdfFormat.TURTLE)))


# --------------------------------------------------------------------------- files

class _LineSorter:
    """N-Triples lines given in any order, handed back sorted and without repeats. Up to `budget`
    bytes are sorted in memory; beyond that, sorted runs go to temporary files and are merged, so the
    memory an export needs does not grow with the graph."""

    def __init__(self, budget: int, spill_dir: Path | None = None,
                 on_spill: Callable[[Path], Any] | None = None) -> None:
        self.budget, self.size = budget, 0
        self.lines: list[bytes] = []
        self.runs: list[IO[bytes]] = []
        # Runs are named files in spill_dir (deleted with it) when given, else anonymous temporary files.
        self.spill_dir, self.on_spill = spill_dir, on_spill

    def add(self, chunk: bytes) -> None:
        """Add the lines of an N-Triples chunk (as pyoxigraph serializes it: one triple a line)."""
        self.lines += chunk.splitlines(keepends=True)
        self.size += len(chunk) + 56 * chunk.count(b"\n")  # the bytes objects' own overhead
        if self.size > self.budget:
            self._spill()

    def _spill(self) -> None:
        self.lines.sort()
        if self.spill_dir is None:
            run = tempfile.TemporaryFile("w+b")
        else:
            run = open(self.spill_dir / f"run-{len(self.runs):05d}.nt", "w+b")
        run.writelines(self.lines)
        if self.on_spill is not None:
            run.flush()
            self.on_spill(Path(run.name))
        run.seek(0)
        self.runs.append(run)
        self.lines, self.size = [], 0

    def sorted(self) -> Iterator[bytes]:
        """The distinct lines in byte order (= code point order of the text: UTF-8 keeps it)."""
        if self.runs and self.lines:
            self._spill()
        if not self.runs:
            self.lines.sort()
            merged: Iterable[bytes] = self.lines
        else:
            merged = heapq.merge(*self.runs)
        try:
            previous = None
            for line in merged:
                if line != previous:
                    yield line
                previous = line
        finally:
            for run in self.runs:
                run.close()  # a TemporaryFile is deleted when closed


_SORT_BUDGET = 256 << 20  # bytes of N-Triples held in memory before sorted runs spill to disk
_BATCH = 50_000  # triples handed to pyoxigraph's serializer at a time


def _sorted_ntriples(triples: Iterable[Triple], budget: int, spill_dir: Path | None = None,
                     on_spill: Callable[[Path], Any] | None = None) -> Iterator[bytes]:
    sorter = _LineSorter(budget, spill_dir, on_spill)
    it = iter(triples)
    while batch := list(itertools.islice(it, _BATCH)):
        sorter.add(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES))
    return sorter.sorted()


# Turtle: pyoxigraph writes the prefixes it is given relative to the base (kg: <ontology#>), and
# resource IRIs relative to the base (<paper/...>); kgr: would only turn those into escaped local names.
_TTL_PREFIXES = {p: ns for p, ns in PREFIXES.items() if p != "kgr"}
_COMPACT = sorted(_TTL_PREFIXES.items(), key=lambda x: -len(x[1]))  # longest first: kg: before kgr:
_JSON_DUMPS = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_RDF_TYPE = _R.type.value


@functools.lru_cache(maxsize=1 << 12)
def _compact(iri: str) -> str:
    for prefix, ns in _COMPACT:
        if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _jsonld_value(t: Any) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"@id": t.value}
    if isinstance(t, ox.BlankNode):
        return {"@id": "_:" + t.value}
    if t.language:
        return {"@value": t.value, "@language": t.language}
    dt = t.datatype.value
    return {"@value": t.value} if dt == _XSD_STRING else {"@value": t.value, "@type": _compact(dt)}


class _JsonLd:
    """Compact JSON-LD of triples given grouped by subject: the prefixes as @context, a node object a
    line. (pyoxigraph writes expanded JSON-LD only.)"""

    def __init__(self, out: IO[str]) -> None:
        self.out, self.subject, self.node, self.sep = out, None, None, "\n"
        out.write('{"@context":' + _JSON_DUMPS(PREFIXES) + ',\n"@graph":[')

    def add(self, t: Triple) -> None:
        """Add a triple; a new subject ends the node object of the previous one."""
        if t.subject != self.subject:
            self._flush()
            self.subject, self.node = t.subject, {"@id": _jsonld_value(t.subject)["@id"]}
        p = t.predicate.value
        if p == _RDF_TYPE and isinstance(t.object, ox.NamedNode):
            self.node.setdefault("@type", []).append(_compact(t.object.value))
        else:
            self.node.setdefault(_compact(p), []).append(_jsonld_value(t.object))

    def _flush(self) -> None:
        if self.node is not None:
            self.out.write(self.sep + _JSON_DUMPS(self.node))
            self.sep = ",\n"

    def close(self) -> None:
        """Write the last node object and close the document."""
        self._flush()
        self.out.write("\n]}\n")


def _render(nt: Path | bytes, outs: Mapping[str, IO[bytes]]) -> None:
    """Write the formats of `outs` (format -> binary file) from the sorted N-Triples `nt` (a file or its
    bytes), parsing it once for Turtle and JSON-LD together."""
    if "nt" in outs:
        if isinstance(nt, bytes):
            outs["nt"].write(nt)
        else:
            with open(nt, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    outs["nt"].write(chunk)
    if "ttl" not in outs and "jsonld" not in outs:
        return
    parsed: Iterable = (ox.parse(nt, format=ox.RdfFormat.N_TRIPLES) if isinstance(nt, bytes)
                        else ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES))
    text = jsonld = None
    if "jsonld" in outs:
        text = io.TextIOWrapper(outs["jsonld"], encoding="utf-8", newline="\n")
        jsonld = _JsonLd(text)
        parsed = _tee(parsed, jsonld.add)
    if "ttl" in outs:
        # Sorted input keeps each subject's triples together, so the serializer groups them.
        ox.serialize(parsed, outs["ttl"], ox.RdfFormat.TURTLE, prefixes=_TTL_PREFIXES, base_iri=BASE)
    else:
        for _ in parsed:
            pass
    if jsonld is not None:
        jsonld.close()
        text.flush()
        text.detach()  # the caller closes the binary file


def _tee(items: Iterable, sink: Any) -> Iterator:
    for item in items:
        sink(item)
        yield item


def _check_formats(formats: Iterable[str]) -> list[str]:
    formats = list(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown RDF format {fmt!r}; choose from {', '.join(FORMATS)}")
    return formats


def serialize(triples: Iterable | rdflib.Graph, fmt: str) -> str:
    """Deterministic text of a triple set in `fmt` ("ttl", "nt" or "jsonld"), as write_rdf writes it.

    >>> print(serialize([Triple(ox.NamedNode(BASE + "paper/p1"), _D.title, ox.Literal("T"))], "nt"), end="")
    <https://w3id.org/paperkg/paper/p1> <http://purl.org/dc/terms/title> "T" .
    """
    _check_formats([fmt])
    nt = b"".join(_sorted_ntriples(_ox_triples(triples), _SORT_BUDGET))
    out = io.BytesIO()
    _render(nt, {fmt: out})
    return out.getvalue().decode("utf-8")


def write_rdf(g: nx.MultiDiGraph | rdflib.Graph, out_dir: str | Path,
              formats: Iterable[str] = ("ttl", "nt", "jsonld"), evidence: str | None = None,
              on_ntriples: Callable[[Path], Any] | None = None,
              on_sorted_run: Callable[[Path], Any] | None = None) -> dict[str, Path]:
    """Write the graph as kg.ttl / kg.nt / kg.jsonld in `out_dir`, atomically and deterministically.

    Parameters
    ----------
    g : the networkx graph (kg.graph schema) or an rdflib Graph (e.g. from to_rdf).
    out_dir : directory to write into (created if missing).
    formats : any of "ttl", "nt", "jsonld".
    evidence : one of EVIDENCE_LEVELS ("all" keeps every link's provenance); None: the graph's own
        level (g.graph["evidence"], set by from_rdf), else "all".
    on_ntriples : called with kg.nt's path as soon as that file is complete, before the other formats
        are written (when "nt" is among `formats`): `kg build` starts loading the store there.
    on_sorted_run : called with the path of each sorted run of kg.nt's lines as soon as it is on disk,
        while the rest of the graph is still being mapped. When there are runs, together they hold
        every line of kg.nt (a line may be in more than one); there are none when the lines fit in
        memory. A run's file is deleted when write_rdf returns: hard-link it to keep it. `kg build`
        loads the store from them before kg.nt is complete.

    Returns
    -------
    dict mapping each format to the path written.

    Examples
    --------
    >>> g = read_rdf("out/kg.nt")
    >>> write_rdf(g, "copy")["ttl"]
    PosixPath('copy/kg.ttl')
    >>> Path("copy/kg.nt").read_bytes() == Path("out/kg.nt").read_bytes()   # deterministic
    True
    """
    formats = _check_formats(formats)
    if evidence is not None:
        _check_level(evidence)
    out_dir = Path(out_dir)
    paths = {fmt: out_dir / FORMATS[fmt] for fmt in formats}
    triples = _ox_triples(g) if isinstance(g, rdflib.Graph) else iter_triples(g, evidence)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        lines = _sorted_ntriples(triples, _SORT_BUDGET, Path(tmp), on_sorted_run)
        # The sorted N-Triples are the source of every format: kg.nt itself, or a scratch copy.
        nt = paths["nt"] if "nt" in paths else Path(tmp) / "kg.nt"
        with atomic_open(nt, "wb") as fh:
            fh.writelines(lines)
        if on_ntriples is not None and "nt" in paths:
            on_ntriples(nt)
        with contextlib.ExitStack() as stack:
            outs = {fmt: stack.enter_context(atomic_open(path, "wb")) for fmt, path in paths.items() if fmt != "nt"}
            _render(nt, outs)
    return paths
