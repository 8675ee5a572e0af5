"""The graph in the formats other tools open: GraphML and GEXF (Gephi, yEd), Neo4j, Cytoscape.js, node-link JSON.

One job: a networkx graph (schema in kg.graph) -> files. `export_graph(g, fmt, output)` writes one of
EXPORT_FORMATS and returns the paths written; `kg export` is the same from the command line.

    from kg.rdf import read_rdf
    from kg.export import export_graph
    export_graph(read_rdf("out/"), "gexf", "out/kg.gexf")

What every format carries
-------------------------
Nodes: their id (the node key, e.g. "paper/2403.12345", "concept/dataset/imagenet"), kind (Paper,
Concept, CodeRepository), type (Paper, Method, Model, Dataset, Task, Metric, CodeRepository), label
(a concept's label, a paper's title on one line, a repository's owner/name), community (Louvain, the
same computation as `kg view --kind communities`: kg.views.select.communities, fixed seed, 0 = the
largest; a node's own `community` attribute is kept if it has one) and the node's attributes:
paper_count for concepts; title, abstract, url, date, arxiv_id, authors, categories for papers.
Edges: an id ("<source>|<relation>|<target>", unique: the graph's edge key is its relation), source,
target, relation and the edge's attributes (role, confidence, score, rank, reasons...).

Flattening (for the formats that hold scalars only), deliberately:
  a list of scalars     -> a list (Neo4j arrays, JSON), or its items joined by "; " (GraphML, GEXF)
  a dict of scalars     -> one attribute per entry: evidence -> evidence_start, evidence_end, evidence_text
  a list of lists/dicts -> its length: mentions -> mentions_count
  None, "", NaN, inf    -> no attribute
Text is data and is written as it is (quotes, newlines, "<", commas, backslashes), except characters
XML 1.0 cannot hold (C0 controls other than tab, newline and carriage return; lone surrogates), which
become U+FFFD in every format so that all of them agree. Node-link JSON keeps every attribute as it is.

Every format is deterministic: nodes sorted by id, edges by (source, target, relation); a rerun on the
same graph writes the same bytes.

GraphML and GEXF are written as a stream (the standard library's XMLGenerator), a node or edge at a
time, after one walk over the records that finds each attribute's declared type: neither an XML tree
nor a flattened copy of the graph is held. `networkx.read_graphml` reads back exactly `scalar_graph(g)`,
the in-memory graph those two formats hold (`read_gexf` the same, with GEXF's own edge `id` attribute);
a carriage return in text is written as "&#13;" so that it is not read back as a newline.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import stat
import tempfile
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import XMLGenerator

import networkx as nx

from .io import atomic_open, replace_dir

__all__ = ["EXPORT_FORMATS", "export_graph", "node_records", "edge_records", "scalar_graph", "neo4j_type"]

#: Format name -> what `export_graph` writes when `output` is an existing folder (Neo4j: a folder).
EXPORT_FORMATS: dict[str, str] = {
    "graphml": "kg.graphml",
    "gexf": "kg.gexf",
    "neo4j": "neo4j",
    "cytoscape": "kg.cyjs",
    "node-link": "kg.node-link.json",
}

Scalar = str | int | float | bool
Record = dict[str, Any]

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_DERIVED = ("kind", "type", "label", "community")


def export_graph(g: nx.MultiDiGraph, fmt: str, output: str | Path) -> list[Path]:
    """Write `g` as `fmt` (one of EXPORT_FORMATS) to `output`; return the paths written.

    `output` is the file to write; for "neo4j" the folder, created, or replaced if it is empty or holds
    an earlier Neo4j export. Any other existing folder (a `kg build` folder, say) gets the file or folder
    EXPORT_FORMATS names in it. Files are written atomically: a failed export leaves the old ones in place.
    Raises ValueError for an unknown format, FileExistsError where a file stands in the way of a folder
    or a folder in the way of a file.

    Examples
    --------
    >>> from kg.rdf import read_rdf
    >>> g = read_rdf("out/")
    >>> [p.name for p in export_graph(g, "graphml", "kg.graphml")]
    ['kg.graphml']
    >>> sorted(p.name for p in export_graph(g, "neo4j", "neo4j"))[:4]
    ['ADDRESSES.csv', 'CODE_REPOSITORY.csv', 'COMPARES_WITH.csv', 'CodeRepository.csv']
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: choose from {', '.join(EXPORT_FORMATS)}")
    output = Path(output)
    if output.is_dir() and (fmt != "neo4j" or (any(output.iterdir()) and not _is_neo4j_export(output))):
        output = output / EXPORT_FORMATS[fmt]
    return _WRITERS[fmt](g, output)


# --------------------------------------------------------------------------- records


def _text(s: str) -> str:
    return _XML_BAD.sub("\ufffd", s)


def _scalar(v: Any) -> Scalar | None:
    """A value a scalar attribute can hold, or None to leave the attribute out."""
    if isinstance(v, bool | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, str):
        return _text(v) or None
    return None


def _flatten(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(name, scalar or list of scalars) pairs of one attribute, after the module's flattening rules."""
    if isinstance(value, dict):
        for k in sorted(value, key=str):
            v = _scalar(value[k])
            if v is not None:
                yield f"{name}_{k}", v
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        if items and all(isinstance(x, list | tuple | dict) for x in items):
            yield f"{name}_count", len(items)
            return
        kept = [v for v in (_scalar(x) for x in items) if v is not None]
        if kept:
            yield name, kept
    else:
        v = _scalar(value)
        if v is not None:
            yield name, v


def _communities(g: nx.MultiDiGraph) -> dict[Hashable, int]:
    """Each node's community: its own attribute, else the one kg.views computes for the communities view."""
    if all("community" in d for _, d in g.nodes(data=True)):
        return {n: d["community"] for n, d in g.nodes(data=True)}
    from .views.select import communities

    found = {n: i for i, members in enumerate(communities(g)) for n in members}
    return {n: d.get("community", found.get(n)) for n, d in g.nodes(data=True)}


def _ordered(first: Record, attrs: Record) -> Record:
    rec = {k: first[k] for k in (*_DERIVED, *first) if k in first and first[k] is not None}
    rec.update((k, attrs[k]) for k in sorted(attrs) if k not in rec)
    return rec


def node_records(g: nx.MultiDiGraph, *, flat: bool = True,
                 community: dict[Hashable, int] | None = None) -> Iterator[tuple[str, Record]]:
    """(node id, attributes) of every node, sorted by id: kind, type, label, community first, then the
    node's own attributes (flattened after the module's rules when `flat`, else as they are).

    `community` (node -> community, as a previous call computed it) saves computing the communities
    again when the records are walked more than once.

    >>> from kg.rdf import read_rdf
    >>> n, rec = next(r for r in node_records(read_rdf("out/")) if r[1]["kind"] == "Concept")
    >>> list(rec)[:5], type(rec["paper_count"])
    (['kind', 'type', 'label', 'community', 'aliases'], <class 'int'>)
    """
    from .views.select import node_group, node_label

    community = _communities(g) if community is None else community
    for n in sorted(g.nodes, key=str):
        d = g.nodes[n]
        own = dict(kv for k, v in d.items() for kv in _flatten(str(k), v)) if flat else dict(d)
        derived = {"kind": d.get("kind"), "type": d.get("type") or node_group(n, d),
                   "label": d.get("label") or node_label(n, d), "community": community.get(n)}
        derived = {k: _text(v) if isinstance(v, str) else v for k, v in derived.items()}
        yield str(n), _ordered(derived, own)


def edge_records(g: nx.MultiDiGraph, *, flat: bool = True) -> Iterator[tuple[str, str, str, Record]]:
    """(edge id, source, target, attributes) of every edge, sorted by (source, target, relation):
    relation first, then the edge's own attributes (flattened when `flat`). The id is
    "<source>|<relation>|<target>".

    >>> from kg.rdf import read_rdf
    >>> eid, u, v, rec = next(r for r in edge_records(read_rdf("out/")) if r[3]["relation"] == "relatedTo")
    >>> eid == f"{u}|relatedTo|{v}", sorted(rec)
    (True, ['rank', 'reasons', 'relation', 'score'])
    """
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        relation = str(d.get("relation") or k)
        own = {key: val for key, val in d.items() if key != "relation"}
        if flat:
            own = dict(kv for key, val in own.items() for kv in _flatten(str(key), val))
        yield f"{u}|{relation}|{v}", str(u), str(v), _ordered({"relation": relation}, own)


def _joined(rec: Record) -> Record:
    """Lists joined by "; ", for the formats that hold scalars only."""
    return {k: "; ".join(str(x) for x in v) if isinstance(v, list) else v for k, v in rec.items()}


def _types(records: Iterable[Record]) -> dict[str, type]:
    """Attribute name -> the one type its values have, in order of first appearance. An attribute
    whose values are of different types is `str` (GraphML and GEXF declare one type per attribute)."""
    types: dict[str, type] = {}
    for rec in records:
        for k, v in rec.items():
            if types.setdefault(k, type(v)) is not type(v):
                types[k] = str
    return types


def _typed(rec: Record, types: dict[str, type]) -> Record:
    """`rec` with the values of mixed-type attributes as text (see _types)."""
    return {k: v if type(v) is types[k] else str(v) for k, v in rec.items()}


# --------------------------------------------------------------------------- GraphML, GEXF
#
# Both are written as a stream: a first walk over the records finds each attribute's type (the key
# and attribute declarations come before the nodes), a second writes the nodes and edges one at a
# time through the standard library's XMLGenerator. Neither the XML tree nor a flattened copy of
# the graph is ever held, so memory stays that of the graph itself (issue 16: 100k-1M papers).

#: Python type of a flattened value -> its type name in both GraphML and GEXF (as networkx names them).
_XML_TYPES: dict[type, str] = {bool: "boolean", int: "long", float: "double", str: "string"}


class _XMLWriter(XMLGenerator):
    """XMLGenerator that keeps carriage returns in text and indents as networkx's writers do."""

    def characters(self, content: str) -> None:
        # A raw "\r" would be read back as "\n" (XML end-of-line handling); "&#13;" stays "\r".
        # ignorableWhitespace is XMLGenerator's way to write markup as it is.
        first, *rest = content.split("\r")
        super().characters(first)
        for part in rest:
            self.ignorableWhitespace("&#13;")
            super().characters(part)

    def line(self, depth: int) -> None:
        self.ignorableWhitespace("\n" + "  " * depth)

    def leaf(self, name: str, attrs: dict[str, str], text: str | None = None) -> None:
        self.startElement(name, attrs)
        if text is not None:
            self.characters(text)
        self.endElement(name)


def _xml_value(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"  # GraphML and GEXF booleans are XML Schema's (Java's) literals
    return str(v)  # repr for floats: read back exactly


def _scalar_records(g: nx.MultiDiGraph, community: dict[Hashable, int]
                    ) -> tuple[Callable[[], Iterator[tuple[str, Record]]],
                               Callable[[], Iterator[tuple[str, str, str, Record]]]]:
    """Walks over the flattened, scalar node and edge records (lists joined), restartable."""
    def nodes() -> Iterator[tuple[str, Record]]:
        return ((n, _joined(rec)) for n, rec in node_records(g, community=community))

    def edges() -> Iterator[tuple[str, str, str, Record]]:
        return ((eid, u, v, _joined(rec)) for eid, u, v, rec in edge_records(g))
    return nodes, edges


def _graph_data(g: nx.MultiDiGraph) -> Record:
    """The graph's own attributes that are scalars, sorted by name."""
    found = ((str(k), _scalar(v)) for k, v in sorted(g.graph.items(), key=lambda kv: str(kv[0])))
    return {k: v for k, v in found if v is not None}


def scalar_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The graph GraphML and GEXF hold, in memory: flattened, scalar attributes (lists joined by "; ",
    mixed-type attributes as text), nodes and edges sorted, edge keys the edge ids.

    `networkx.read_graphml` of a GraphML export gives this graph back (GEXF adds its own `id` edge
    attribute and graph `mode`). Meant for checking an export and for small graphs: the writers
    stream and never build it.

    >>> from kg.rdf import read_rdf
    >>> h = scalar_graph(read_rdf("out/"))
    >>> u, v, k, d = next(iter(h.edges(keys=True, data=True)))
    >>> k == f"{u}|{d['relation']}|{v}", all(not isinstance(x, list) for _, a in h.nodes(data=True) for x in a.values())
    (True, True)
    """
    nodes, edges = _scalar_records(g, _communities(g))
    node_types, edge_types = _types(rec for _, rec in nodes()), _types(rec for *_, rec in edges())
    h = nx.MultiDiGraph()
    h.graph.update(_graph_data(g))
    h.add_nodes_from((n, _typed(rec, node_types)) for n, rec in nodes())
    for eid, u, v, rec in edges():
        h.add_edge(u, v, key=eid, **_typed(rec, edge_types))
    return h


def _write_graphml(g: nx.MultiDiGraph, output: Path) -> list[Path]:
    """GraphML as networkx writes it (keys d0, d1, ... for graph, node and edge data), streamed."""
    from networkx.readwrite.graphml import GraphML

    nodes, edges = _scalar_records(g, _communities(g))
    graph_data = _graph_data(g)
    keys: dict[tuple[str, str], str] = {}  # (for, attribute name) -> key id
    declared: list[tuple[str, str, str, str]] = []
    for scope, types in (("graph", _types([graph_data])), ("node", _types(rec for _, rec in nodes())),
                         ("edge", _types(rec for *_, rec in edges()))):
        for name, typ in types.items():
            keys[scope, name] = f"d{len(keys)}"
            declared.append((keys[scope, name], scope, name, _XML_TYPES[typ]))
    types = {(scope, name): typ for _, scope, name, typ in declared}

    def data(x: _XMLWriter, scope: str, rec: Record, depth: int) -> None:
        for name, value in rec.items():
            x.line(depth)
            text = _xml_value(value) if types[scope, name] != "string" else str(value)
            x.leaf("data", {"key": keys[scope, name]}, text)

    with atomic_open(output) as fh:  # text: XMLGenerator writes str
        x = _XMLWriter(fh, encoding="utf-8", short_empty_elements=True)
        x.startDocument()
        x.startElement("graphml", {"xmlns": GraphML.NS_GRAPHML, "xmlns:xsi": GraphML.NS_XSI,
                                   "xsi:schemaLocation": GraphML.SCHEMALOCATION})
        for key_id, scope, name, typ in declared:
            x.line(1)
            x.leaf("key", {"id": key_id, "for": scope, "attr.name": name, "attr.type": typ})
        x.line(1)
        x.startElement("graph", {"edgedefault": "directed"})
        data(x, "graph", graph_data, 2)
        for n, rec in nodes():
            x.line(2)
            x.startElement("node", {"id": n})
            data(x, "node", rec, 3)
            x.line(2)
            x.endElement("node")
        for eid, u, v, rec in edges():
            x.line(2)
            x.startElement("edge", {"source": u, "target": v, "id": eid})
            data(x, "edge", rec, 3)
            x.line(2)
            x.endElement("edge")
        x.line(1)
        x.endElement("graph")
        x.line(0)
        x.endElement("graphml")
        x.ignorableWhitespace("\n")
        x.endDocument()
    return [output]


def _write_gexf(g: nx.MultiDiGraph, output: Path) -> list[Path]:
    """GEXF 1.2draft as networkx writes it (node label as the node's label, edge id ours), streamed;
    no lastmodifieddate, so that reruns agree."""
    from networkx.readwrite.gexf import GEXF

    from . import __version__

    spec = GEXF.versions["1.2draft"]
    nodes, edges = _scalar_records(g, _communities(g))
    # The node label is the <node label=...> of GEXF (what Gephi shows), not one more attribute.
    node_types = _types({k: v for k, v in rec.items() if k != "label"} for _, rec in nodes())
    edge_types = _types(rec for *_, rec in edges())
    ids = {("node", name): str(i) for i, name in enumerate(node_types)}
    ids.update((("edge", name), str(len(node_types) + i)) for i, name in enumerate(edge_types))
    types = {"node": node_types, "edge": edge_types}

    def attvalues(x: _XMLWriter, scope: str, rec: Record) -> None:
        if not rec:
            return
        x.line(4)
        x.startElement("attvalues", {})
        for name, value in rec.items():
            x.line(5)
            text = _xml_value(value) if types[scope][name] is not str else str(value)
            x.leaf("attvalue", {"for": ids[scope, name], "value": text})
        x.line(4)
        x.endElement("attvalues")

    with atomic_open(output) as fh:  # text: XMLGenerator writes str
        x = _XMLWriter(fh, encoding="utf-8", short_empty_elements=True)
        x.startDocument()
        x.startElement("gexf", {"xmlns": spec["NS_GEXF"], "xmlns:xsi": spec["NS_XSI"],
                                "xsi:schemaLocation": spec["SCHEMALOCATION"], "version": spec["VERSION"]})
        x.line(1)
        x.startElement("meta", {})
        x.line(2)
        x.leaf("creator", {}, f"paperkg {__version__}")
        x.line(1)
        x.endElement("meta")
        x.line(1)
        x.startElement("graph", {"defaultedgetype": "directed", "mode": "static",
                                 "name": str(_graph_data(g).get("name", ""))})
        for scope in ("node", "edge"):
            if types[scope]:
                x.line(2)
                x.startElement("attributes", {"mode": "static", "class": scope})
                for name, typ in types[scope].items():
                    x.line(3)
                    x.leaf("attribute", {"id": ids[scope, name], "title": name, "type": _XML_TYPES[typ]})
                x.line(2)
                x.endElement("attributes")
        x.line(2)
        x.startElement("nodes", {})
        for n, rec in nodes():
            x.line(3)
            rec = dict(rec)
            x.startElement("node", {"id": n, "label": str(rec.pop("label", n))})
            attvalues(x, "node", _typed(rec, node_types))
            x.line(3)
            x.endElement("node")
        x.line(2)
        x.endElement("nodes")
        x.line(2)
        x.startElement("edges", {})
        for eid, u, v, rec in edges():
            x.line(3)
            x.startElement("edge", {"source": u, "target": v, "id": eid})
            attvalues(x, "edge", _typed(rec, edge_types))
            x.line(3)
            x.endElement("edge")
        x.line(2)
        x.endElement("edges")
        x.line(1)
        x.endElement("graph")
        x.line(0)
        x.endElement("gexf")
        x.ignorableWhitespace("\n")
        x.endDocument()
    return [output]


# --------------------------------------------------------------------------- Cytoscape.js, node-link


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _write_cytoscape(g: nx.MultiDiGraph, output: Path) -> list[Path]:
    """Cytoscape.js elements JSON (also Cytoscape desktop's .cyjs), written an element a line."""
    graph_data = {str(k): v for k, v in sorted(g.graph.items(), key=lambda kv: str(kv[0]))
                  if _scalar(v) is not None}
    with atomic_open(output) as fh:
        fh.write('{"data": ' + _json(graph_data) + ', "elements": {"nodes": [')
        _write_items(fh, ({"data": {"id": n, **{k: v for k, v in rec.items() if k != "id"}}}
                          for n, rec in node_records(g)))
        fh.write('], "edges": [')
        _write_items(fh, ({"data": {"id": eid, "source": u, "target": v,
                                    **{k: val for k, val in rec.items() if k not in ("id", "source", "target")}}}
                          for eid, u, v, rec in edge_records(g)))
        fh.write("]}}\n")
    return [output]


def _write_items(fh: IO[str], items: Iterable[Any]) -> None:
    sep = "\n"
    for item in items:
        fh.write(sep + _json(item))
        sep = ",\n"
    fh.write("\n")


def _json_safe(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str):
        return _text(v)
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | frozenset):
        return [_json_safe(x) for x in (sorted(v, key=str) if isinstance(v, set | frozenset) else v)]
    return v


def _write_node_link(g: nx.MultiDiGraph, output: Path) -> list[Path]:
    """networkx node-link JSON of the whole graph, every attribute as it is (plus type, label, community)."""
    h = nx.MultiDiGraph()
    h.graph.update(_json_safe(dict(g.graph)))
    h.add_nodes_from((n, _json_safe(rec)) for n, rec in node_records(g, flat=False))
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        h.add_edge(str(u), str(v), key=str(k), **_json_safe(d))
    try:
        data = nx.node_link_data(h, edges="edges")
    except TypeError:  # networkx < 3.4 names the parameter `link`
        data = nx.node_link_data(h, link="edges")
    with atomic_open(output) as fh:
        json.dump(data, fh, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    return [output]


# --------------------------------------------------------------------------- Neo4j

#: Characters tried, in order, as neo4j-admin's --array-delimiter: the first that no array item and
#: no label contains (U+001F never occurs: it is one of the characters replaced in all text).
_ARRAY_DELIMITERS = (";", "|", "\x1f")
_BATCH = 500  # rows per UNWIND in load.cypher


def neo4j_type(values: Iterable[Any]) -> str:
    """The neo4j-admin header type of a column holding `values` ("" for string, the default).

    >>> neo4j_type([1, 25]), neo4j_type([2**40]), neo4j_type([0.5, 1]), neo4j_type([["a"], ["b"]])
    ('int', 'long', 'double', 'string[]')
    >>> neo4j_type(["x", 1]), neo4j_type([True])
    ('', 'boolean')
    """
    kinds: set[str] = set()
    arrays = False
    for v in values:
        for x in (v if isinstance(v, list) else [v]):
            arrays |= isinstance(v, list)
            if isinstance(x, bool):
                kinds.add("boolean")
            elif isinstance(x, int):
                kinds.add("int" if -2**31 <= x < 2**31 else "long")
            elif isinstance(x, float):
                kinds.add("double")
            else:
                kinds.add("string")
    if kinds <= {"int"} and kinds:
        base = "int"
    elif kinds <= {"int", "long"} and kinds:
        base = "long"
    elif kinds <= {"int", "long", "double"} and kinds:
        base = "double"
    elif kinds == {"boolean"}:
        base = "boolean"
    else:
        base = "string"
    if arrays:
        return base + "[]"
    return "" if base == "string" else base


def _convert(v: Any, typ: str, delimiter: str) -> str | None:
    """A CSV field of type `typ` (the header type) for value `v`."""
    base = typ.removesuffix("[]")
    items = v if isinstance(v, list) else [v]
    if base in ("", "string"):
        out = [str(x) for x in items]
    elif base == "boolean":
        out = ["true" if x else "false" for x in items]
    elif base == "double":
        out = [repr(float(x)) for x in items]
    else:
        out = [str(int(x)) for x in items]
    return delimiter.join(out)


def _label(name: str) -> str:
    """A Neo4j label (and file name): letters, digits and underscores."""
    return re.sub(r"\W", "_", name, flags=re.ASCII).strip("_") or "Node"


def _rel_type(relation: str) -> str:
    """A Neo4j relationship type: evaluatesOn -> EVALUATES_ON."""
    return _label(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", relation)).upper()


def _cypher(v: Any) -> str:
    """A Cypher literal: strings as JSON strings (Cypher reads the same escapes), lists, maps."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_cypher(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_name(k)}: {_cypher(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v), ensure_ascii=False)


def _name(s: str) -> str:
    return "`" + s.replace("`", "``") + "`"


def _neo4j_plan(g: nx.MultiDiGraph) -> tuple[dict, dict, dict[str, str], str]:
    """Nodes grouped by file label, relationships by type, each node's label, and the array delimiter."""
    nodes: dict[str, list[tuple[list[str], Record]]] = defaultdict(list)
    label_of: dict[str, str] = {}
    for n, rec in node_records(g):
        label = _label(str(rec.get("type") or rec.get("kind") or "Node"))
        labels = ["Concept", label] if rec.get("kind") == "Concept" and label != "Concept" else [label]
        label_of[n] = label
        nodes[label].append((labels, {"id": n, **{k: v for k, v in rec.items() if k != "id"}}))
    rels: dict[str, list[tuple[str, str, Record]]] = defaultdict(list)
    for _, u, v, rec in edge_records(g):
        rels[_rel_type(rec["relation"])].append((u, v, rec))
    texts = [x for group in nodes.values() for labels, rec in group
             for x in labels + [y for val in rec.values() if isinstance(val, list) for y in val]]
    texts += [y for group in rels.values() for *_, rec in group for val in rec.values()
              if isinstance(val, list) for y in val]
    delimiter = next(d for d in _ARRAY_DELIMITERS if not any(d in str(x) for x in texts))
    return dict(sorted(nodes.items())), dict(sorted(rels.items())), label_of, delimiter


def _columns(records: Iterable[Record], skip: tuple[str, ...]) -> dict[str, str]:
    """Property name -> header type: relation and the derived properties first, then by name."""
    values: dict[str, list] = {}
    for rec in records:
        for k, v in rec.items():
            if k not in skip:
                values.setdefault(k, []).append(v)
    first = [k for k in ("relation", *_DERIVED) if k in values]
    return {k: neo4j_type(values[k]) for k in first + sorted(set(values) - set(first))}


def _property(name: str) -> str:
    """A property name neo4j-admin's header reads as one (no ':', no delimiter)."""
    return re.sub(r"[^\w]", "_", name) or "_"


def _header(name: str, typ: str) -> str:
    return f"{_property(name)}:{typ}" if typ else _property(name)


def _csv_writer(fh: IO[str]) -> Any:
    # QUOTE_MINIMAL: fields with a comma, quote or newline are quoted, inner quotes doubled -- what
    # neo4j-admin reads by default (backslashes are plain characters unless --legacy-style-quoting).
    return csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def _write_neo4j(g: nx.MultiDiGraph, output: Path) -> list[Path]:
    """CSV files for `neo4j-admin database import full`, import.sh running it, and load.cypher for a
    running server. Each CSV file is written a row at a time."""
    if output.exists() and not output.is_dir():
        raise FileExistsError(f"{output} is a file; the neo4j export is a folder")
    if output.is_dir() and any(output.iterdir()) and not _is_neo4j_export(output):
        raise FileExistsError(f"{output} is a folder that is not empty and holds no earlier neo4j export "
                              "(import.sh, nodes/, relationships/); give a new folder")
    nodes, rels, label_of, delimiter = _neo4j_plan(g)
    output.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".export", dir=output.parent))
    try:
        os.chmod(stage, 0o777 & ~_umask())
        node_files, rel_files = [], []
        for label, group in nodes.items():
            cols = _columns((rec for _, rec in group), skip=("id",))
            path = Path("nodes") / f"{label}.csv"
            with atomic_open(stage / path) as fh:
                w = _csv_writer(fh)
                w.writerow(["id:ID", ":LABEL", *(_header(k, t) for k, t in cols.items())])
                for labels, rec in group:
                    w.writerow([rec["id"], delimiter.join(labels),
                                *(_field(rec.get(k), t, delimiter) for k, t in cols.items())])
            node_files.append(path)
        for rel, group in rels.items():
            cols = _columns((rec for *_, rec in group), skip=())
            path = Path("relationships") / f"{rel}.csv"
            with atomic_open(stage / path) as fh:
                w = _csv_writer(fh)
                w.writerow([":START_ID", ":END_ID", ":TYPE", *(_header(k, t) for k, t in cols.items())])
                for u, v, rec in group:
                    w.writerow([u, v, rel, *(_field(rec.get(k), t, delimiter) for k, t in cols.items())])
            rel_files.append(path)
        _write_import_sh(stage / "import.sh", node_files, rel_files, delimiter)
        _write_load_cypher(stage / "load.cypher", nodes, rels, label_of)
        written = [*node_files, *rel_files, Path("import.sh"), Path("load.cypher")]
        replace_dir(stage, output)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return [output / p for p in written]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _is_neo4j_export(folder: Path) -> bool:
    return (folder / "import.sh").is_file() and (folder / "nodes").is_dir()


def _field(v: Any, typ: str, delimiter: str) -> str:
    if v is None:
        return ""  # an empty, unquoted field: no property
    return _convert(v, typ, delimiter) or ""


def _write_import_sh(path: Path, node_files: list[Path], rel_files: list[Path], delimiter: str) -> None:
    shown = "U+001F" if delimiter == "\x1f" else delimiter
    lines = [
        "#!/bin/sh",
        "# Import this folder into a new Neo4j 5 database with neo4j-admin (the database must not exist yet,",
        "# or be stopped and replaced with --overwrite-destination): sh import.sh [DATABASE], default neo4j.",
        "# neo4j-admin is $NEO4J_HOME/bin/neo4j-admin when NEO4J_HOME is set, else the one on PATH.",
        "# Afterwards start Neo4j (or, for a database other than the default: CREATE DATABASE name).",
        "# Fields may span lines (titles and abstracts are text): hence --multiline-fields=true; a quote",
        "# inside a field is doubled (\"\"), a backslash is an ordinary character: --legacy-style-quoting=false.",
        "set -eu",
        'HERE="$(cd "$(dirname "$0")" && pwd)"',  # neo4j-admin reads paths from its own working folder
        'DATABASE="${1:-neo4j}"',
        'ADMIN="${NEO4J_HOME:+$NEO4J_HOME/bin/}neo4j-admin"',
        '"$ADMIN" database import full "$DATABASE" \\',
        f"  --array-delimiter='{shown}' \\",
        "  --multiline-fields=true \\",
        "  --legacy-style-quoting=false \\",
        *[f'  --nodes="$HERE/{p.as_posix()}" \\' for p in node_files],
        *[f'  --relationships="$HERE/{p.as_posix()}" \\' for p in rel_files],
    ]
    lines[-1] = lines[-1].removesuffix(" \\")
    with atomic_open(path) as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _batches(items: list, size: int = _BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write_load_cypher(path: Path, nodes: dict, rels: dict, label_of: dict[str, str]) -> None:
    with atomic_open(path) as fh:
        fh.write("// Load the paperkg graph into a running Neo4j 5 server, e.g.\n"
                 "//   cypher-shell -u neo4j -p PASSWORD -f load.cypher\n"
                 "// MERGE on the ids: running it again updates the same nodes and relationships.\n\n")
        for label in nodes:
            fh.write(f"CREATE CONSTRAINT {_name('paperkg_' + label.lower() + '_id')} IF NOT EXISTS "
                     f"FOR (n:{_name(label)}) REQUIRE n.id IS UNIQUE;\n")
        for label, group in nodes.items():
            extra = "".join(f", n:{_name(lab)}" for lab in group[0][0] if lab != label)
            for batch in _batches(group):
                fh.write("\nUNWIND [\n")
                fh.write(",\n".join("  " + _cypher(rec) for _, rec in batch))
                fh.write(f"\n] AS row\nMERGE (n:{_name(label)} {{id: row.id}})\nSET n = row{extra};\n")
        for rel, group in rels.items():
            by_ends: dict[tuple[str, str], list] = defaultdict(list)
            for u, v, rec in group:
                by_ends[(label_of[u], label_of[v])].append((u, v, rec))
            for (a, b), items in sorted(by_ends.items()):
                for batch in _batches(items):
                    fh.write("\nUNWIND [\n")
                    fh.write(",\n".join("  " + _cypher({"s": u, "e": v, "p": rec}) for u, v, rec in batch))
                    fh.write(f"\n] AS row\nMATCH (a:{_name(a)} {{id: row.s}})\nMATCH (b:{_name(b)} {{id: row.e}})\n"
                             f"MERGE (a)-[r:{_name(rel)}]->(b)\nSET r = row.p;\n")


_WRITERS: dict[str, Callable[[nx.MultiDiGraph, Path], list[Path]]] = {
    "graphml": _write_graphml,
    "gexf": _write_gexf,
    "neo4j": _write_neo4j,
    "cytoscape": _write_cytoscape,
    "node-link": _write_node_link,
}
