"""The graph as RDF under the paperkg ontology (ontology/kg.ttl): lossless export and import.

`to_rdf` turns the networkx graph (schema in kg.graph) into an rdflib Graph; `from_rdf` turns it back
without loss; `write_rdf` writes Turtle, N-Triples and JSON-LD files byte-for-byte deterministically,
streaming: a networkx graph is rendered a node or an edge at a time and put in order by an external
merge sort, so its memory does not grow with the graph (an rdflib Graph is indexed in memory).

Mapping (see ontology/kg.ttl for every term)
--------------------------------------------
node "paper/<id>"         <BASE paper/<id>> a kg:Paper, schema:ScholarlyArticle; dcterms:title,
                          dcterms:abstract, fabio:hasURL, fabio:hasArXivId, kg:listingDate,
                          dcterms:creator (one per author) + kg:authorList (rdf:List, keeps order),
                          kg:category, dcterms:source ("path:line"), dcterms:identifier (the input
                          record's own id), bibo:doi (one per DOI, normalised)
node "concept/<t>/<slug>" a kg:<Type>, skos:Concept; skos:prefLabel, skos:altLabel (aliases other
                          than the label), kg:paperCount
node "repo/<host>/..."    a kg:CodeRepository, schema:SoftwareSourceCode; schema:url
edge paper -> concept     the direct triple <paper> kg:<relation> <concept>, and a reified statement
                          <BASE link/<paper id>/<relation>/<type>/<slug>> a kg:LinkEvidence with
                          rdf:subject/predicate/object, kg:role, kg:confidence, kg:evidenceStart/End/Text,
                          kg:hasMention (<link#m<start>-<end>> a kg:Mention; kg:mentionStart/End/Text),
                          kg:extractorVersion, prov:wasDerivedFrom <paper>
edge paper -> repo        <paper> kg:codeRepository <repo> (a kg:LinkEvidence only if it has attributes)
edge paper -> paper       <u> kg:relatedTo <v> (v is among u's related papers) and a kg:LinkEvidence with
                          kg:score, kg:rank and kg:reason (one per reason) + kg:reasonList (rdf:List, in order)
graph.graph               <BASE> a kg:KnowledgeGraph; kg:graphName, kg:extractorVersion
The `relation` attribute kg.graph.assemble puts on every edge equals the edge key: it needs no triple.

Anything the mapping cannot express exactly (attributes outside the schema, a value of an unexpected
type, a list that is not in canonical sorted order, a schema attribute missing from a node) is kept as
JSON in kg:extraAttributes on the same resource, so that `from_rdf(to_rdf(g))` equals `g`. Import
fills schema attributes absent from the RDF with None (lists with []); sequences come back as lists.
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import heapq
import json
import math
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

import networkx as nx
import rdflib
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .schema import BASE, CODE_REPOSITORY, EDGE_KEYS, ENTITY_TYPES, KG_NS, ONTOLOGY_IRI, PREFIXES, RELATED_TO, RELATIONS
from .io import atomic_open

__all__ = [
    "BASE", "KG", "SCHEMA", "DCTERMS", "FABIO", "MLS", "SKOS", "PROV", "CITO", "BIBO", "PREFIXES",
    "RELATIONS", "CONCEPT_CLASSES", "ONTOLOGY_IRI", "FORMATS",
    "ontology_path", "node_iri", "node_key", "link_iri", "label_key",
    "iter_triples", "to_rdf", "from_rdf", "read_rdf", "write_rdf", "serialize", "escape_string",
]

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
_CLASS_TYPES: dict[URIRef, str] = {c: t for t, c in CONCEPT_CLASSES.items()}
_EDGE_PREDICATES: dict[str, URIRef] = {r: KG[r] for r in EDGE_KEYS}
_PREDICATE_KEYS: dict[URIRef, str] = {p: k for k, p in _EDGE_PREDICATES.items()}
_GRAPH_IRI = URIRef(BASE)

Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]


class _Terms:
    """Precomputed URIRefs: attribute access on an rdflib namespace builds a new URIRef every time."""

    def __init__(self, ns: str, names: str) -> None:
        for name in names.split():
            setattr(self, name, URIRef(ns + name))


_K = _Terms(str(KG), """
    CodeRepository Concept KnowledgeGraph LinkEvidence Mention Paper authorList category
    codeRepository confidence edgeKey evidenceEnd evidenceStart evidenceText extraAttributes
    extractorVersion graphName hasMention labelKey listingDate mentionEnd mentionStart mentionText
    paperCount rank reason reasonList role score""")
_R = _Terms(str(RDF), "first nil object predicate rest subject type")
_X = _Terms(str(XSD), "anyURI boolean date dateTime decimal double float integer string")
_P = _Terms(str(PROV), "wasDerivedFrom")
_D = _Terms(str(DCTERMS), "abstract creator identifier source title")
_S = _Terms(str(SKOS), "Concept altLabel prefLabel")
_O = _Terms(str(SCHEMA), "ScholarlyArticle SoftwareSourceCode url")
_F = _Terms(str(FABIO), "hasArXivId hasURL")
_B = _Terms(str(BIBO), "doi")


def ontology_path(*parts: str) -> Path:
    """Path of a file shipped in the ontology folder (packaged as kg.ontology), e.g. ontology_path("kg.ttl")."""
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


def node_iri(key: str) -> URIRef:
    """IRI of a node key: BASE + the key, percent-encoding characters not allowed in an IRI path."""
    if not isinstance(key, str):
        raise TypeError(f"node keys must be strings, got {key!r}")
    return URIRef(BASE + quote(key, safe=_IRI_SAFE))


def node_key(iri: str) -> str:
    """Node key of an IRI made by node_iri (IRIs outside BASE are returned unchanged)."""
    s = str(iri)
    return unquote(s[len(BASE):]) if s.startswith(BASE) else s


def link_iri(u: str, key: str, v: str) -> URIRef:
    """Stable IRI of the reified edge u -key-> v: BASE link/<paper id>/<relation>/<concept type>/<slug>."""
    for part in (u, key, v):
        if not isinstance(part, str):
            raise TypeError(f"edge ends and keys must be strings, got {part!r}")
    first = u[len("paper/"):] if u.startswith("paper/") and u[6:] and "/" not in u[6:] else "~" + quote(u, safe="")
    rel = key if key and "/" not in key and not key.startswith("~") else "~" + quote(key, safe="")
    last = v[len("concept/"):] if v.startswith("concept/") and v[8:] else v
    if last.startswith("~") or (last != v and last.split("/", 1)[0] in ("paper", "repo", "concept")):
        last = "~" + quote(v, safe="")  # keep the mapping one-to-one for odd keys
    return URIRef(BASE + "link/" + quote(f"{first}/{rel}/{last}", safe=_IRI_SAFE))


# --------------------------------------------------------------------------- value codecs

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Props:
    """Predicate -> objects of one subject, with the whole subject index for lists and mentions."""

    __slots__ = ("subject", "props", "index")

    def __init__(self, subject: rdflib.term.Node, props: Mapping, index: Mapping) -> None:
        self.subject, self.props, self.index = subject, props, index

    def all(self, pred: URIRef) -> list:
        """Every object of `pred`, sorted for determinism."""
        return sorted(self.props.get(pred, ()), key=_sort_key)

    def one(self, pred: URIRef) -> Any:
        """The first object of `pred` (sorted), or None."""
        objs = self.props.get(pred)
        if not objs:
            return None
        return objs[0] if len(objs) == 1 else min(objs, key=_sort_key)


def _sort_key(term: Any) -> str:
    return term.n3() if hasattr(term, "n3") else str(term)


def _number(value: Any) -> Literal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _int_lit(value)
    if isinstance(value, float):
        return _double_lit(value)
    return None


def _double_lit(value: float) -> Literal:
    if math.isnan(value):
        lex = "NaN"
    elif math.isinf(value):
        lex = "INF" if value > 0 else "-INF"
    else:
        lex = repr(value)  # the shortest text that reads back as exactly this float
    return _typed_lit(lex, _X.double)


@functools.lru_cache(maxsize=1 << 16)
def _typed_lit(lex: str, datatype: URIRef) -> Literal:
    return Literal(lex, datatype=datatype)


def _from_number(lit: Any) -> Any:
    if lit is None:
        return None
    if isinstance(lit, Literal) and lit.datatype in (_X.double, _X.float, _X.decimal):
        return float(str(lit))
    try:
        return int(str(lit))
    except ValueError:
        return float(str(lit))


def _int_lit(value: int) -> Literal:
    return _typed_lit(str(value), _X.integer)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value)


class _Field:
    """How one attribute maps to RDF: encode -> triples (None: not expressible), exact, decode."""

    attr = ""
    default: Any = None

    def encode(self, s: URIRef, value: Any, attrs: Mapping) -> list[Triple] | None:
        raise NotImplementedError

    def exact(self, value: Any, attrs: Mapping) -> bool:
        return True

    def decode(self, p: _Props, attrs: Mapping) -> Any:
        raise NotImplementedError


class _Str(_Field):
    def __init__(self, attr: str, pred: URIRef, datatype: URIRef | None = None) -> None:
        self.attr, self.pred, self.datatype = attr, pred, datatype

    def encode(self, s, value, attrs):
        if not isinstance(value, str):
            return None
        return [(s, self.pred, Literal(value, datatype=self.datatype))]

    def decode(self, p, attrs):
        obj = p.one(self.pred)
        return None if obj is None else str(obj)


class _Date(_Str):
    def encode(self, s, value, attrs):
        if not isinstance(value, str):
            return None
        datatype = None
        if _ISO_DATE.fullmatch(value):
            try:
                _dt.date.fromisoformat(value)
                datatype = _X.date
            except ValueError:
                pass
        return [(s, self.pred, Literal(value, datatype=datatype))]


class _Int(_Field):
    def __init__(self, attr: str, pred: URIRef) -> None:
        self.attr, self.pred = attr, pred

    def encode(self, s, value, attrs):
        return [(s, self.pred, _int_lit(value))] if _is_int(value) else None

    def decode(self, p, attrs):
        obj = p.one(self.pred)
        return None if obj is None else int(str(obj))


class _Number(_Field):
    def __init__(self, attr: str, pred: URIRef) -> None:
        self.attr, self.pred = attr, pred

    def encode(self, s, value, attrs):
        lit = _number(value)
        return None if lit is None else [(s, self.pred, lit)]

    def decode(self, p, attrs):
        return _from_number(p.one(self.pred))


class _StrSet(_Field):
    """A list of strings as one triple per distinct value; canonical order is sorted."""

    default: Any = ()

    def __init__(self, attr: str, pred: URIRef) -> None:
        self.attr, self.pred = attr, pred

    def encode(self, s, value, attrs):
        if not _str_list(value):
            return None
        return [(s, self.pred, Literal(x)) for x in dict.fromkeys(value)]

    def exact(self, value, attrs):
        return isinstance(value, list) and value == sorted(set(value))

    def decode(self, p, attrs):
        return sorted({str(o) for o in p.all(self.pred)})


class _StrList(_Field):
    """An ordered list of strings: one `item` triple per string (for queries) and `holder`, an rdf:List
    keeping the order."""

    default: Any = ()

    def __init__(self, attr: str, item: URIRef, holder: URIRef, stem: str) -> None:
        self.attr, self.item, self.holder, self.stem = attr, item, holder, stem

    def encode(self, s, value, attrs):
        if not _str_list(value):
            return None
        out: list[Triple] = [(s, self.item, Literal(x)) for x in dict.fromkeys(value)]
        if value:
            stem = self.stem + hashlib.sha1(str(s).encode("utf-8")).hexdigest()[:16]
            cells = [BNode(f"{stem}n{i}") for i in range(len(value))]
            out.append((s, self.holder, cells[0]))
            for i, name in enumerate(value):
                out.append((cells[i], _R.first, Literal(name)))
                out.append((cells[i], _R.rest, cells[i + 1] if i + 1 < len(cells) else _R.nil))
        return out

    def exact(self, value, attrs):
        return isinstance(value, list)

    def decode(self, p, attrs):
        head = p.one(self.holder)
        if head is not None:
            items = _read_list(head, p.index)
            if items is not None:
                return [str(x) for x in items]
        return sorted({str(o) for o in p.all(self.item)})


class _Aliases(_Field):
    """Aliases: skos:altLabel for every alias other than the preferred label (SKOS keeps them disjoint)."""

    attr = "aliases"
    default: Any = ()

    def encode(self, s, value, attrs):
        if not _str_list(value):
            return None
        label = attrs.get("label")
        return [(s, _S.altLabel, Literal(x)) for x in dict.fromkeys(value) if x != label]

    def exact(self, value, attrs):
        label = attrs.get("label")
        expected = set(value) | ({label} if isinstance(label, str) else set())
        return isinstance(value, list) and value == sorted(expected)

    def decode(self, p, attrs):
        names = {str(o) for o in p.all(_S.altLabel)}
        if isinstance(attrs.get("label"), str):
            names.add(attrs["label"])
        return sorted(names)


class _ConceptType(_Field):
    attr = "type"

    def encode(self, s, value, attrs):
        cls = CONCEPT_CLASSES.get(value) if isinstance(value, str) else None
        return None if cls is None else [(s, _R.type, cls)]

    def decode(self, p, attrs):
        types = [_CLASS_TYPES[t] for t in p.all(_R.type) if t in _CLASS_TYPES]
        return types[0] if types else None


def _mention_ok(m: Any) -> bool:
    return (isinstance(m, (list, tuple)) and len(m) == 3 and _is_int(m[0]) and _is_int(m[1])
            and isinstance(m[2], str))


class _Mentions(_Field):
    """Mention spans as kg:Mention resources <link#m<start>-<end>>; canonical order is by offsets."""

    attr = "mentions"
    default: Any = ()

    def encode(self, s, value, attrs):
        if not isinstance(value, (list, tuple)) or not all(_mention_ok(m) for m in value):
            return None
        spans = [(m[0], m[1]) for m in value]
        if spans != sorted(set(spans)):  # unsorted or a span twice: keep it all in the JSON instead
            return None
        out: list[Triple] = []
        for start, end, text in value:
            m = URIRef(f"{s}#m{start}-{end}")
            out += [(s, _K.hasMention, m), (m, _R.type, _K.Mention), (m, _K.mentionStart, _int_lit(start)),
                    (m, _K.mentionEnd, _int_lit(end)), (m, _K.mentionText, Literal(text))]
        return out

    def exact(self, value, attrs):
        return isinstance(value, list)

    def decode(self, p, attrs):
        out = []
        for m in p.all(_K.hasMention):
            mp = p.index.get(m, {})
            start, end, text = (_first(mp, _K.mentionStart), _first(mp, _K.mentionEnd),
                                _first(mp, _K.mentionText))
            out.append([None if start is None else int(str(start)), None if end is None else int(str(end)),
                        None if text is None else str(text)])
        out.sort(key=lambda m: (m[0] if m[0] is not None else -1, m[1] if m[1] is not None else -1))
        return out


def _first(props: Mapping, pred: URIRef) -> Any:
    objs = props.get(pred)
    return min(objs, key=_sort_key) if objs else None


class _Evidence(_Field):
    """The evidence sentence {"start", "end", "text"} as kg:evidenceStart/End/Text on the link."""

    attr = "evidence"
    _KEYS = ("start", "end", "text")

    def encode(self, s, value, attrs):
        if not isinstance(value, dict) or not set(self._KEYS) <= set(value):
            return None
        start, end, text = (value[k] for k in self._KEYS)
        if not (_is_int(start) and _is_int(end) and isinstance(text, str)):
            return None
        return [(s, _K.evidenceStart, _int_lit(start)), (s, _K.evidenceEnd, _int_lit(end)),
                (s, _K.evidenceText, Literal(text))]

    def exact(self, value, attrs):
        return set(value) == set(self._KEYS)

    def decode(self, p, attrs):
        start, end, text = p.one(_K.evidenceStart), p.one(_K.evidenceEnd), p.one(_K.evidenceText)
        if start is None and end is None and text is None:
            return None
        return {"start": None if start is None else int(str(start)),
                "end": None if end is None else int(str(end)),
                "text": None if text is None else str(text)}


class _EdgeRelation(_Field):
    """The `relation` attribute kg.graph.assemble repeats on every edge: the edge key, so no triple."""

    attr = "relation"

    def encode(self, s, value, attrs):
        return [] if value == attrs.get(_EDGE_KEY) else None

    def decode(self, p, attrs):
        return attrs.get(_EDGE_KEY)


_EDGE_KEY = "\x00edge key"  # passed to the edge codecs inside attrs; never a real attribute name


def _fields(*fields: _Field) -> dict[str, _Field]:
    return {f.attr: f for f in fields}


_PAPER_FIELDS = _fields(
    _Str("title", _D.title), _Str("abstract", _D.abstract), _Str("url", _F.hasURL, _X.anyURI),
    # Authors: dcterms:creator per author (for queries) and kg:authorList keeping their order.
    _StrList("authors", _D.creator, _K.authorList, "al"), _Date("date", _K.listingDate), _Str("arxiv_id", _F.hasArXivId),
    _StrSet("categories", _K.category), _StrSet("sources", _D.source), _Str("record_id", _D.identifier),
    _StrSet("dois", _B.doi),
)
# label before aliases: the aliases codec reads the decoded label.
_CONCEPT_FIELDS = _fields(
    _ConceptType(), _Str("label", _S.prefLabel), _Aliases(), _Int("paper_count", _K.paperCount),
)
_REPO_FIELDS = _fields(_Str("url", _O.url, _X.anyURI))
_LINK_FIELDS = _fields(
    _EdgeRelation(), _Str("role", _K.role), _Number("confidence", _K.confidence), _Mentions(), _Evidence(),
    _Str("extractor", _K.extractorVersion),
)
_RELATED_FIELDS = _fields(_EdgeRelation(), _Number("score", _K.score), _Int("rank", _K.rank),
                          _StrList("reasons", _K.reason, _K.reasonList, "rl"))
_REPO_EDGE_FIELDS = _fields(_EdgeRelation())
_GRAPH_FIELDS = _fields(_Str("name", _K.graphName), _Str("extractor", _K.extractorVersion))

_NODE_TYPES: dict[str, tuple[URIRef, ...]] = {
    "Paper": (_K.Paper, _O.ScholarlyArticle),
    "Concept": (_S.Concept,),
    "CodeRepository": (_K.CodeRepository, _O.SoftwareSourceCode),
}
_NODE_FIELDS: dict[str, dict[str, _Field]] = {
    "Paper": _PAPER_FIELDS, "Concept": _CONCEPT_FIELDS, "CodeRepository": _REPO_FIELDS,
}


def _edge_fields(key: str) -> dict[str, _Field]:
    if key in RELATIONS:
        return _LINK_FIELDS
    if key == "relatedTo":
        return _RELATED_FIELDS
    if key == "codeRepository":
        return _REPO_EDGE_FIELDS
    return {}


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    return repr(value)


def _encode_attrs(s: URIRef, attrs: Mapping, fields: Mapping[str, _Field], skip: tuple[str, ...] = (),
                  always_extra: bool = False, optional: bool = False) -> Iterator[Triple]:
    """Triples for the attributes `fields` can express, then kg:extraAttributes for the rest.

    Schema attributes are filled in on import (None, [] for lists) unless `optional`, so an attribute
    missing here is recorded as "absent"; with `optional`, a None value is recorded instead.
    """
    extra: dict[str, Any] = {}
    for name, value in attrs.items():
        if name in skip or name == _EDGE_KEY:
            continue
        field = fields.get(name)
        if field is None:
            extra[name] = value
            continue
        if value is None:
            if field.default is not None or optional:
                extra[name] = None
            continue
        triples = field.encode(s, value, attrs)
        if triples is None:
            extra[name] = value
            continue
        yield from triples
        if not field.exact(value, attrs):
            extra[name] = value
    absent = [] if optional else [name for name in fields if name not in attrs and name not in skip]
    if extra or absent or always_extra:
        doc: dict[str, Any] = {}
        if extra:
            doc["attrs"] = extra
        if absent:
            doc["absent"] = absent
        text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                          default=_json_default)
        yield s, _K.extraAttributes, Literal(text)


def _decode_attrs(p: _Props, fields: Mapping[str, _Field], attrs: dict[str, Any],
                  optional: bool = False) -> dict[str, Any]:
    for name, field in fields.items():
        value = field.decode(p, attrs)
        if value is None and optional:
            continue
        if value is None and field.default is not None:
            value = list(field.default)
        attrs[name] = value
    extra = p.one(_K.extraAttributes)
    if extra is not None:
        doc = json.loads(str(extra))
        attrs.update(doc.get("attrs", {}))
        for name in doc.get("absent", ()):
            attrs.pop(name, None)
    return attrs


# --------------------------------------------------------------------------- export

def label_key(name: str) -> str:
    """The kg:labelKey form of a concept name: lower-cased, as SPARQL LCASE does ("ImageNet" -> "imagenet")."""
    return name.lower()


def _label_keys(s: URIRef, attrs: Mapping) -> Iterator[Triple]:
    """kg:labelKey triples of a concept: derived (from_rdf ignores them), so searching by name in any
    case is an index lookup instead of lower-casing every label of the graph."""
    label, aliases = attrs.get("label"), attrs.get("aliases")
    names = [label] if isinstance(label, str) else []
    if _str_list(aliases):
        names += aliases
    for key in dict.fromkeys(label_key(n) for n in names):
        if key:
            yield s, _K.labelKey, Literal(key)


def _node_triples(s: URIRef, attrs: Mapping) -> Iterator[Triple]:
    kind = attrs.get("kind")
    types = _NODE_TYPES.get(kind) if isinstance(kind, str) else None
    if types is None:  # a kind the schema does not know: everything goes to the JSON
        yield from _encode_attrs(s, attrs, {}, always_extra=True)
        return
    for t in types:
        yield s, _R.type, t
    if kind == "Concept" and not (isinstance(attrs.get("type"), str) and attrs["type"] in CONCEPT_CLASSES):
        yield s, _R.type, _K.Concept
    yield from _encode_attrs(s, attrs, _NODE_FIELDS[kind], skip=("kind",))
    if kind == "Concept":
        yield from _label_keys(s, attrs)


def _edge_triples(u: str, v: str, key: Any, attrs: Mapping, su: URIRef,
                  sv: URIRef) -> tuple[Triple | None, list[Triple]]:
    """The direct triple of an edge (None for a key outside the schema) and its reified statement."""
    pred = _EDGE_PREDICATES.get(key) if isinstance(key, str) else None
    link = link_iri(u, key, v)
    described = list(_encode_attrs(link, {**attrs, _EDGE_KEY: key}, _edge_fields(key)))
    direct = (su, pred, sv) if pred is not None else None
    if key == "codeRepository" and not described:
        return direct, []  # a plain paper -> repo edge needs no statement about it
    statement: list[Triple] = [(link, _R.type, _K.LinkEvidence), (link, _R.subject, su), (link, _R.object, sv)]
    if pred is not None:
        statement.append((link, _R.predicate, pred))
    else:
        statement.append((link, _K.edgeKey, Literal(key)))
    if key in RELATIONS:
        statement.append((link, _P.wasDerivedFrom, su))
    elif key == "relatedTo":
        statement += [(link, _P.wasDerivedFrom, su), (link, _P.wasDerivedFrom, sv)]
    return direct, statement + described


def _triple_groups(g: nx.MultiDiGraph) -> Iterator[list[Triple]]:
    """The export of `g` in groups that each hold every triple of their subjects (and of their lists):
    the graph, each node with the direct triples of its out-edges, each edge's reified statement."""
    yield [(_GRAPH_IRI, _R.type, _K.KnowledgeGraph),
           *_encode_attrs(_GRAPH_IRI, g.graph, _GRAPH_FIELDS, optional=True)]
    iri = functools.lru_cache(maxsize=1 << 16)(node_iri)  # concepts recur in every paper's edges
    for key, attrs in g.nodes(data=True):
        s = iri(key)
        group = list(_node_triples(s, attrs))
        statements = []
        for _, v, edge_key, edge_attrs in g.out_edges(key, keys=True, data=True):
            direct, statement = _edge_triples(key, v, edge_key, edge_attrs, s, iri(v))
            if direct is not None:
                group.append(direct)
            if statement:
                statements.append(statement)
        yield group
        yield from statements


def iter_triples(g: nx.MultiDiGraph) -> Iterator[Triple]:
    """Every triple of the export of `g` (rdflib terms; duplicates possible, order not significant)."""
    for group in _triple_groups(g):
        yield from group


def to_rdf(g: nx.MultiDiGraph) -> rdflib.Graph:
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
    for triple in iter_triples(g):
        add(triple)
    return rdf


# --------------------------------------------------------------------------- import

def _index(triples: Iterable[Triple]) -> dict:
    index: dict = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        objs = index[s][p]
        if o not in objs:
            objs.append(o)
    return index


def _read_list(head: Any, index: Mapping) -> list | None:
    items, node, seen = [], head, set()
    while node != _R.nil:
        if node in seen or node not in index:
            return None
        seen.add(node)
        props = index[node]
        first, rest = props.get(_R.first), props.get(_R.rest)
        if not first or not rest:
            return None
        items.append(first[0])
        node = rest[0]
    return items


def from_rdf(rdf: rdflib.Graph | Iterable[Triple]) -> nx.MultiDiGraph:
    """The networkx graph back from its RDF export (inverse of to_rdf, without loss).

    Examples
    --------
    >>> h = from_rdf(rdflib.Graph().parse("out/kg.ttl"))
    >>> sorted(h.graph)
    ['extractor', 'name']
    """
    index = _index(rdf)
    g = nx.MultiDiGraph()
    graph_props = index.get(_GRAPH_IRI)
    if graph_props is not None:
        g.graph.update(_decode_attrs(_Props(_GRAPH_IRI, graph_props, index), _GRAPH_FIELDS, {}, optional=True))
    nodes: dict[str, dict] = {}
    links = []
    for s, props in index.items():
        types = set(props.get(_R.type, ()))
        if _K.LinkEvidence in types:
            links.append(s)
            continue
        if s == _GRAPH_IRI or isinstance(s, BNode) or _K.Mention in types:
            continue
        if _K.Paper in types:
            kind = "Paper"
        elif _K.CodeRepository in types:
            kind = "CodeRepository"
        elif _K.Concept in types or types & _CLASS_TYPES.keys():
            kind = "Concept"
        elif _K.extraAttributes in props:
            nodes[node_key(s)] = _decode_attrs(_Props(s, props, index), {}, {})
            continue
        else:
            continue
        nodes[node_key(s)] = _decode_attrs(_Props(s, props, index), _NODE_FIELDS[kind], {"kind": kind})
    for key in sorted(nodes):
        g.add_node(key, **nodes[key])
    edges = []
    for link in links:
        p = _Props(link, index[link], index)
        u, v = p.one(_R.subject), p.one(_R.object)
        if u is None or v is None:
            continue
        pred = p.one(_R.predicate)
        key = _PREDICATE_KEYS.get(pred) if pred is not None else None
        if key is None:
            edge_key = p.one(_K.edgeKey)
            key = str(edge_key) if edge_key is not None else str(pred)
        attrs = _decode_attrs(p, _edge_fields(key), {_EDGE_KEY: key})
        del attrs[_EDGE_KEY]
        edges.append((node_key(u), node_key(v), key, attrs))
    for s, props in index.items():
        for v in props.get(_K.codeRepository, ()):
            edges.append((node_key(s), node_key(v), "codeRepository", None))
    edges.sort(key=lambda e: (e[0], e[2], e[1]))
    for u, v, key, attrs in edges:
        if attrs is None:  # a plain paper -> repo edge: only the direct triple
            if not g.has_edge(u, v, key):
                g.add_edge(u, v, key=key, relation=key)
        else:
            g.add_edge(u, v, key=key, **attrs)
    return g


def read_rdf(path: str | Path) -> nx.MultiDiGraph:
    """Load kg.nt / kg.ttl / kg.jsonld (or a directory holding one) back into the networkx graph.

    Parsing uses pyoxigraph (an order of magnitude faster than rdflib's parsers) and from_rdf.
    """
    path = Path(path)
    if path.is_dir():
        found = [path / name for name in ("kg.nt", "kg.ttl", "kg.jsonld") if (path / name).exists()]
        if not found:
            raise FileNotFoundError(f"no kg.nt, kg.ttl or kg.jsonld in {path}")
        path = found[0]
    return from_rdf(_parse_with_oxigraph(path))


def _parse_with_oxigraph(path: Path) -> Iterator[Triple]:
    import pyoxigraph as ox

    fmt = {".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD,
           ".json": ox.RdfFormat.JSON_LD}.get(path.suffix, ox.RdfFormat.TURTLE)
    named, blank, xsd_string = ox.NamedNode, ox.BlankNode, str(XSD.string)
    iris: dict[str, URIRef] = {}
    datatypes: dict[str, URIRef | None] = {xsd_string: None}

    def term(t: Any) -> rdflib.term.Node:
        if isinstance(t, named):
            value = t.value
            iri = iris.get(value)
            if iri is None:
                iri = iris[value] = URIRef(value)
            return iri
        if isinstance(t, blank):
            return BNode(t.value)
        dt = t.datatype.value
        if dt not in datatypes:
            datatypes[dt] = URIRef(dt)
        if t.language:
            return Literal(t.value, lang=t.language)
        return Literal(t.value, datatype=datatypes[dt])

    for triple in ox.parse(path=str(path), format=fmt):
        yield term(triple.subject), term(triple.predicate), term(triple.object)


# --------------------------------------------------------------------------- deterministic writers

_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
            ord("\b"): "\\b", ord("\f"): "\\f"}
_ESCAPES.update({c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in _ESCAPES})
_IRI_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x21), *map(ord, '<>"{}|^`\\')]}
_PN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
# Longest namespace first so kg: wins over kgr: (BASE) for ontology terms; kgr IRIs are written relative.
_COMPACT = sorted(((p, ns) for p, ns in PREFIXES.items() if p != "kgr"), key=lambda x: -len(x[1]))


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_IRI_NEEDS_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def escape_string(text: str) -> str:
    """Body of an N-Triples/Turtle/SPARQL string literal (canonical N-Triples escapes)."""
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _escape_iri(text: str) -> str:
    return text.translate(_IRI_ESCAPES) if _IRI_NEEDS_ESCAPE.search(text) else text


def _bnode_label(b: BNode) -> str:
    label = str(b)
    return label if _BNODE_LABEL.fullmatch(label) else "b" + hashlib.sha1(label.encode()).hexdigest()


def _nt(term: Any) -> str:
    if isinstance(term, URIRef):
        return "<" + _escape_iri(str(term)) + ">"
    if isinstance(term, BNode):
        return "_:" + _bnode_label(term)
    if isinstance(term, Literal):
        body = '"' + escape_string(str(term)) + '"'
        if term.language:
            return body + "@" + term.language
        if term.datatype is None or term.datatype == _X.string:
            return body
        return body + "^^<" + str(term.datatype) + ">"
    raise TypeError(f"not an RDF term: {term!r}")


def _relative_ok(rel: str) -> bool:
    if not rel or rel[0] in "/?#." or ":" in rel.split("/", 1)[0]:
        return False
    path = re.split(r"[?#]", rel, maxsplit=1)[0]
    return all(seg not in (".", "..") for seg in path.split("/"))


_TTL_HEADER = "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in PREFIXES.items()) + f"@base <{BASE}> .\n"
_JSON_DUMPS = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


@functools.lru_cache(maxsize=1 << 16)
def _ttl_iri(term: URIRef) -> str:
    text = str(term)
    for prefix, ns in _COMPACT:
        if text.startswith(ns) and _PN_LOCAL.fullmatch(text[len(ns):]):
            return f"{prefix}:{text[len(ns):]}"
    if text.startswith(BASE) and _relative_ok(text[len(BASE):]):
        return "<" + _escape_iri(text[len(BASE):]) + ">"
    return _nt(term)


@functools.lru_cache(maxsize=1 << 12)
def _compact(iri: URIRef) -> str:
    text = str(iri)
    for prefix, ns in _COMPACT:
        if text.startswith(ns) and len(text) > len(ns) and not text[len(ns):].startswith("//"):
            return f"{prefix}:{text[len(ns):]}"
    return text


def _subject_order(s: Any) -> str:
    """Sort key of a Turtle / JSON-LD subject: IRIs by their text, then blank nodes."""
    return ("1" if isinstance(s, BNode) else "0") + str(s)


class _Writer:
    """Index of a triple set and deterministic Turtle / N-Triples / JSON-LD renderings of it."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.index: dict = defaultdict(lambda: defaultdict(set))
        refs: Counter = Counter()
        for s, p, o in triples:
            objs = self.index[s][p]
            if o not in objs:
                objs.add(o)
                if isinstance(o, BNode):
                    refs[o] += 1
        self.lists: dict[BNode, list] = {}
        consumed: set = set()
        for s, props in self.index.items():
            for p, objs in props.items():
                if p == _R.rest:
                    continue
                for o in objs:
                    if isinstance(o, BNode) and refs[o] == 1:
                        found = self._collection(o, refs)
                        if found is not None:
                            self.lists[o], cells = found
                            consumed |= cells
        self.subjects = sorted((s for s in self.index if s not in consumed), key=_subject_order)

    def _collection(self, head: BNode, refs: Counter) -> tuple[list, set] | None:
        items, cells, node = [], set(), head
        while node != _R.nil:
            if not isinstance(node, BNode) or node in cells or refs[node] != 1:
                return None
            props = self.index.get(node)
            if props is None or set(props) != {_R.first, _R.rest}:
                return None
            if len(props[_R.first]) != 1 or len(props[_R.rest]) != 1:
                return None
            cells.add(node)
            items.append(next(iter(props[_R.first])))
            node = next(iter(props[_R.rest]))
        return items, cells

    # -- N-Triples: one triple a line, lines sorted.
    def nt_lines(self, s: Any) -> list[str]:
        """The N-Triples lines of subject `s` (every subject of the index, list cells included), sorted."""
        ss = _nt(s)
        lines = []
        for p, objs in self.index[s].items():
            sp = ss + " " + _nt(p) + " "
            lines.extend(sp + _nt(o) + " .\n" for o in objs)
        lines.sort()
        return lines

    def ntriples(self) -> Iterator[str]:
        lines = [line for s in self.index for line in self.nt_lines(s)]
        lines.sort()
        return iter(lines)

    # -- Turtle: prefixes, @base, subjects sorted, rdf:type first, objects sorted.
    def _ttl(self, term: Any) -> str:
        if isinstance(term, URIRef):
            return _ttl_iri(term)
        if isinstance(term, BNode):
            items = self.lists.get(term)
            if items is not None:
                return "( " + " ".join(self._ttl(x) for x in items) + " )" if items else "()"
            return "_:" + _bnode_label(term)
        if isinstance(term, Literal):
            lex = str(term)
            body = '"' + escape_string(lex) + '"'
            if term.language:
                return body + "@" + term.language
            dt = term.datatype
            if dt is None or dt == _X.string:
                return body
            if dt == _X.integer and _INTEGER.fullmatch(lex):
                return lex
            if dt == _X.boolean and lex in ("true", "false"):
                return lex
            return body + "^^" + _ttl_iri(dt)
        raise TypeError(f"not an RDF term: {term!r}")

    def ttl_block(self, s: Any) -> str:
        """The Turtle statement of subject `s`: rdf:type first, then predicates and objects sorted."""
        props = self.index[s]
        preds = sorted(props, key=lambda p: (p != _R.type, str(p)))
        parts = []
        for p in preds:
            objs = sorted(self._ttl(o) for o in props[p])
            name = "a" if p == _R.type else self._ttl(p)
            parts.append(f"{name} " + ", ".join(objs))
        return "\n" + self._ttl(s) + " " + " ;\n    ".join(parts) + " .\n"

    def turtle(self) -> Iterator[str]:
        return _turtle_document(self.ttl_block(s) for s in self.subjects)

    # -- JSON-LD: @context of the prefixes, one node object a line, sorted by @id.
    def _jsonld_value(self, term: Any) -> dict:
        if isinstance(term, URIRef):
            return {"@id": str(term)}
        if isinstance(term, BNode):
            items = self.lists.get(term)
            if items is not None:
                return {"@list": [self._jsonld_value(x) for x in items]}
            return {"@id": "_:" + _bnode_label(term)}
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype is None or term.datatype == _X.string:
            return {"@value": str(term)}
        return {"@value": str(term), "@type": _compact(term.datatype)}

    def jsonld_node(self, s: Any) -> str:
        """The JSON-LD node object of subject `s`, on one line."""
        node: dict[str, Any] = {"@id": str(s) if isinstance(s, URIRef) else "_:" + _bnode_label(s)}
        for p, objs in self.index[s].items():
            if p == _R.type and all(isinstance(o, URIRef) for o in objs):
                node["@type"] = sorted(_compact(o) for o in objs)
                continue
            values = [self._jsonld_value(o) for o in objs]
            node[_compact(p)] = sorted(values, key=_value_order)
        return _JSON_DUMPS(node)

    def jsonld(self) -> Iterator[str]:
        return _jsonld_document(self.jsonld_node(s) for s in self.subjects)


def _turtle_document(blocks: Iterable[str]) -> Iterator[str]:
    yield _TTL_HEADER
    yield from blocks


def _jsonld_document(nodes: Iterable[str]) -> Iterator[str]:
    yield '{"@context":' + _JSON_DUMPS(PREFIXES) + ',\n"@graph":['
    for i, node in enumerate(nodes):
        yield ("\n" if i == 0 else ",\n") + node
    yield "\n]}\n"


def _value_order(value: dict) -> tuple:
    if "@list" in value:
        return ("@list", json.dumps(value, sort_keys=True, ensure_ascii=False))
    return (value.get("@id", ""), value.get("@value", ""), value.get("@type", ""), value.get("@language", ""))


def serialize(triples: Iterable[Triple] | rdflib.Graph, fmt: str) -> str:
    """Deterministic text of a triple set in `fmt` ("ttl", "nt" or "jsonld")."""
    writer = _Writer(triples)
    return "".join(_render(writer, fmt))


def _render(writer: _Writer, fmt: str) -> Iterator[str]:
    if fmt == "ttl":
        return writer.turtle()
    if fmt == "nt":
        return writer.ntriples()
    if fmt == "jsonld":
        return writer.jsonld()
    raise ValueError(f"unknown RDF format {fmt!r}; choose from {', '.join(FORMATS)}")


class _SubjectTwice(Exception):
    """Two groups of a streamed export describe the same subject: only the in-memory writer merges them."""


class _RunSorter:
    """(key, text) records given in any order, handed back as texts in key order. Up to `budget`
    characters are sorted in memory; beyond that, sorted runs go to temporary files and are merged,
    so the memory an export needs does not grow with the graph. Keys must be unique."""

    def __init__(self, budget: int) -> None:
        self.budget, self.size = budget, 0
        self.records: list[tuple[str, str]] = []
        self.runs: list[IO[str]] = []

    def add(self, key: str, text: str) -> None:
        self.records.append((key, text))
        self.size += len(key) + len(text) + 64
        if self.size > self.budget:
            self._spill()

    def _spill(self) -> None:
        self.records.sort()
        run = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
        # Keys and texts hold no raw control characters (every writer escapes them), so "\x00" ends the
        # key, "\x01" stands for a newline of the text and a line is a record; sorting lines sorts keys.
        run.writelines(key + "\x00" + text.replace("\n", "\x01") + "\n" for key, text in self.records)
        run.seek(0)
        self.runs.append(run)
        self.records, self.size = [], 0

    def _sorted(self) -> Iterator[tuple[str, str]]:
        if not self.runs:
            self.records.sort()
            yield from self.records
            return
        if self.records:
            self._spill()
        try:
            for line in heapq.merge(*self.runs):
                key, _, text = line[:-1].partition("\x00")
                yield key, text.replace("\x01", "\n")
        finally:
            for run in self.runs:
                run.close()  # a TemporaryFile is deleted when closed

    def texts(self) -> Iterator[str]:
        """The texts in key order; raises _SubjectTwice if a key came twice."""
        previous = None
        for key, text in self._sorted():
            if key == previous:
                raise _SubjectTwice(key)
            previous = key
            yield text


_SORT_BUDGET = 128 << 20  # characters held in memory per format before sorted runs spill to disk


def _write_streamed(g: nx.MultiDiGraph, paths: Mapping[str, Path], budget: int) -> None:
    """Write the export of a networkx graph without holding it: each group of triples is rendered on
    its own and the renderings are put in order by an external merge sort, giving the same bytes as
    the in-memory writer."""
    sorters = {fmt: _RunSorter(budget) for fmt in paths}
    ttl, nt, jsonld = sorters.get("ttl"), sorters.get("nt"), sorters.get("jsonld")
    for group in _triple_groups(g):
        writer = _Writer(group)
        if nt is not None:
            for s in writer.index:  # a subject's lines are contiguous in the sorted file: its IRI, then " "
                nt.add(_nt(s) + " ", "".join(writer.nt_lines(s)))
        for s in writer.subjects:
            key = _subject_order(s)
            if ttl is not None:
                ttl.add(key, writer.ttl_block(s))
            if jsonld is not None:
                jsonld.add(key, writer.jsonld_node(s))
    renderings = {"ttl": _turtle_document, "nt": iter, "jsonld": _jsonld_document}
    for fmt, path in paths.items():
        with atomic_open(path, "w") as fh:
            fh.writelines(renderings[fmt](sorters[fmt].texts()))


def write_rdf(g: nx.MultiDiGraph | rdflib.Graph, out_dir: str | Path,
              formats: Iterable[str] = ("ttl", "nt", "jsonld")) -> dict[str, Path]:
    """Write the graph as kg.ttl / kg.nt / kg.jsonld in `out_dir`, atomically and deterministically.

    Parameters
    ----------
    g : the networkx graph (kg.graph schema) or an rdflib Graph (e.g. from to_rdf).
    out_dir : directory to write into (created if missing).
    formats : any of "ttl", "nt", "jsonld".

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
    formats = list(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown RDF format {fmt!r}; choose from {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    paths = {fmt: out_dir / FORMATS[fmt] for fmt in formats}
    if isinstance(g, nx.MultiDiGraph):
        try:
            _write_streamed(g, paths, _SORT_BUDGET)
            return paths
        except _SubjectTwice:  # odd node keys made two groups share a subject: merge them in memory
            pass
    writer = _Writer(g if isinstance(g, rdflib.Graph) else iter_triples(g))
    for fmt, path in paths.items():
        with atomic_open(path, "w") as fh:
            fh.writelines(_render(writer, fmt))
    return paths
