"""SHACL validation of an export against ontology/shapes.ttl (pySHACL, with ontology/kg.ttl mixed in).

`validate` checks a graph directory (kg.nt, else kg.ttl), an RDF file or an rdflib Graph and returns a
`ValidationReport` whose violations name the focus node, the property path, the offending value and a
readable message. `kg validate --graph DIR` prints them and exits 1 when the export is invalid.

Examples
--------
>>> report = validate("out")
>>> report.conforms, len(report.violations)
(True, 0)
>>> print(report.summary())
valid: ... triples in out/kg.nt conform to ontology/shapes.ttl (inference none, ... s)
"""
from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, SH

from .rdf import ontology_path
from .schema import BASE, PREFIXES

__all__ = ["INFERENCE", "ValidationReport", "Violation", "load_graph", "shapes_path", "validate"]

INFERENCE: tuple[str, ...] = ("none", "rdfs", "owlrl", "both")


def shapes_path() -> Path:
    """Path of the shipped SHACL shapes (ontology/shapes.ttl)."""
    return ontology_path("shapes.ttl")


def _short(term: Any) -> str:
    """A term as a reader wants it: kg:Paper, <paper/...> relative to BASE, "literal"."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if prefix != "kgr" and text.startswith(ns) and text[len(ns):].replace("_", "a").isalnum():
                return f"{prefix}:{text[len(ns):]}"
        if text.startswith(BASE) and len(text) > len(BASE):
            return "<" + text[len(BASE):] + ">"
        return f"<{text}>"
    if isinstance(term, Literal):
        text = str(term)
        text = text if len(text) <= 80 else text[:77] + "..."
        body = '"' + text.replace("\n", " ") + '"'
        if term.datatype is not None and str(term.datatype) != str(rdflib.XSD.string):
            return body + "^^" + _short(term.datatype)
        return body
    if isinstance(term, BNode):
        return "_:" + str(term)
    return str(term)


_IRI_IN_TEXT = re.compile(r"<?(https?://[^\s<>\"{}|^`]+)>?")


def _shorten_iris(text: str) -> str:
    """Full IRIs inside a message (pySHACL fills {?var} with them) written as in _short."""
    return _IRI_IN_TEXT.sub(lambda m: _short(URIRef(m.group(1))), text)


def _path_text(results: rdflib.Graph, path: Any) -> str:
    if path is None:
        return ""
    if isinstance(path, BNode):
        inverse = results.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + _short(inverse)
    return _short(path)


@dataclass(frozen=True)
class Violation:
    """One SHACL result: focus node, path, offending value, message, severity and source shape."""

    focus: str
    path: str
    value: str
    message: str
    severity: str
    shape: str
    constraint: str

    def __str__(self) -> str:
        where = self.focus + (f" {self.path}" if self.path else "")
        value = f" (value {self.value})" if self.value else ""
        return f"{self.severity}: {where}: {self.message}{value}"


@dataclass
class ValidationReport:
    """Outcome of a validation: conforms, violations (readable), sizes and timings."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    triples: int = 0
    inference: str = "none"
    load_seconds: float = 0.0
    validate_seconds: float = 0.0
    source: str = ""

    def by_message(self) -> Counter:
        """How many results share each message (for a summary of a badly broken export)."""
        return Counter(v.message for v in self.violations)

    def summary(self) -> str:
        """One line: valid or how many violations, triples, inference and time."""
        secs = self.load_seconds + self.validate_seconds
        where = f" in {self.source}" if self.source else ""
        if self.conforms:
            return (f"valid: {self.triples} triples{where} conform to ontology/shapes.ttl "
                    f"(inference {self.inference}, {secs:.1f} s)")
        return (f"invalid: {len(self.violations)} violation(s){where} of ontology/shapes.ttl in {self.triples} "
                f"triples (inference {self.inference}, {secs:.1f} s)")


def load_graph(source: str | Path | rdflib.Graph) -> tuple[rdflib.Graph, str]:
    """An rdflib Graph of a graph directory (kg.nt, else kg.ttl), an RDF file, or the graph itself.

    Files are parsed with pyoxigraph (much faster than rdflib's parsers) and copied into rdflib.
    """
    if isinstance(source, rdflib.Graph):
        return source, ""
    from .store import QueryError, _graph_file

    try:
        path = _graph_file(source)
    except QueryError as exc:
        raise FileNotFoundError(str(exc)) from exc
    import pyoxigraph as ox

    fmt = {".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD}.get(path.suffix, ox.RdfFormat.TURTLE)
    graph = rdflib.Graph()
    named: dict[str, URIRef] = {}
    datatypes: dict[str, URIRef | None] = {str(rdflib.XSD.string): None}

    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            iri = named.get(t.value)
            if iri is None:
                iri = named[t.value] = URIRef(t.value)
            return iri
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        dt = t.datatype.value
        if dt not in datatypes:
            datatypes[dt] = URIRef(dt)
        return Literal(t.value, datatype=datatypes[dt])

    add = graph.add
    for triple in ox.parse(path=str(path), format=fmt):
        add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph, str(path)


def validate(source: str | Path | rdflib.Graph, *, inference: str = "none",
             shapes: str | Path | rdflib.Graph | None = None, ontology: bool = True) -> ValidationReport:
    """Validate an export against the SHACL shapes with pySHACL.

    Parameters
    ----------
    source : a graph directory written by `kg build`, an RDF file, or an rdflib Graph.
    inference : pySHACL's inference before validating: "none" (default; the shapes need none),
        "rdfs", "owlrl" or "both" (much slower on big graphs).
    shapes : SHACL shapes (default ontology/shapes.ttl).
    ontology : mix ontology/kg.ttl into the data graph (pySHACL's ont_graph), so that subclass
        targets and inference see the class hierarchy.

    Returns
    -------
    ValidationReport (conforms, violations, triples, timings).

    Examples
    --------
    >>> validate("out").conforms
    True
    >>> import rdflib
    >>> from kg.rdf import KG, node_iri
    >>> broken_graph = rdflib.Graph().add((node_iri("paper/arxiv-2403.12345"), rdflib.RDF.type, KG.Paper))
    >>> for v in sorted(str(v) for v in validate(broken_graph).violations)[:2]:
    ...     print(v)
    Violation: <paper/arxiv-2403.12345> dcterms:abstract: a paper has exactly one non-empty dcterms:abstract (a plain string)
    Violation: <paper/arxiv-2403.12345> dcterms:title: a paper has exactly one dcterms:title (a plain string)
    """
    import pyshacl

    if inference not in INFERENCE:
        raise ValueError(f"unknown inference {inference!r}; choose from {', '.join(INFERENCE)}")
    t0 = time.perf_counter()
    data, where = load_graph(source)
    if shapes is None:
        shapes_graph = rdflib.Graph().parse(shapes_path(), format="turtle")
    elif isinstance(shapes, rdflib.Graph):
        shapes_graph = shapes
    else:
        shapes_graph = rdflib.Graph().parse(shapes, format="turtle")
    ont = rdflib.Graph().parse(ontology_path("kg.ttl"), format="turtle") if ontology else None
    t1 = time.perf_counter()
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph, ont_graph=ont, inference=inference, abort_on_first=False,
        allow_infos=True, allow_warnings=True, meta_shacl=False, advanced=False, js=False, debug=False,
        inplace=False)
    t2 = time.perf_counter()
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = results.value(result, SH.resultMessage)
        severity = results.value(result, SH.resultSeverity)
        constraint = results.value(result, SH.sourceConstraintComponent)
        focus, value = results.value(result, SH.focusNode), results.value(result, SH.value)
        if str(focus) == BASE and isinstance(value, URIRef):
            focus, value = value, None  # a whole-graph check: the culprit is the real focus
        shape = results.value(result, SH.sourceShape)
        violations.append(Violation(
            focus=_short(focus),
            path=_path_text(results, results.value(result, SH.resultPath)),
            value=_short(value),
            message=_shorten_iris(str(message)) if message is not None else "",
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            shape=_short(shape) if isinstance(shape, URIRef) else "",
            constraint=str(constraint).rsplit("#", 1)[-1] if constraint is not None else "",
        ))
    violations.sort(key=lambda v: (v.focus, v.path, v.message, v.value))
    return ValidationReport(bool(conforms), violations, len(data), inference, t1 - t0, t2 - t1, where)


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m kg.validate", description=__doc__.split("\n")[0])
    parser.add_argument("graph", nargs="?", default="exports")
    parser.add_argument("--inference", default="none", choices=INFERENCE)
    args = parser.parse_args(argv)
    report = validate(args.graph, inference=args.inference)
    for v in report.violations:
        print(v)
    print(report.summary())
    return 0 if report.conforms else 1


if __name__ == "__main__":
    raise SystemExit(_main())
