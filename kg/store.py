"""SPARQL over a built graph directory: pluggable stores (Oxigraph by default, rdflib), named queries.

A graph directory is what `kg build` writes (kg.nt and/or kg.ttl, and DIR/store: an on-disk Oxigraph
store bulk-loaded from kg.nt by `persist_store`, replaced atomically on every build). `open_store`
opens it with a backend: by default the persisted store, read-only and without parsing anything
(falling back to loading kg.nt into memory when the store is missing or stale); "rdflib" parses into
an rdflib Graph. `run_query` runs SPARQL (or a named query from ontology/queries/) against a
directory or an open store, binding the standard prefixes and any parameters as RDF literals —
parameter values are never pasted into the query text unescaped. For named queries it first binds
index keys derived from the parameters (?NAME_key: the kg:labelKey form; ?paper_iri: the paper a
`paper` parameter names by IRI or arXiv id), so that they run as index lookups, not scans.

Examples
--------
>>> result = run_query("out", "top-datasets")
>>> result.columns
['concept', 'label', 'used', 'papers']
>>> csv = run_query("out", "papers-using-dataset", {"dataset": "imagenet"}).to_csv()
>>> for line in csv.splitlines()[:2]:
...     print(line)
paper,title,relation,dataset
https://w3id.org/paperkg/paper/...,Beyond neural scaling laws: beating power law scaling via data pruning,evaluatesOn,imagenet
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import itertools
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .io import replace_dir
from .rdf import escape_string, ontology_path
from .schema import PREFIXES
from .sparql_scan import UPDATE_VERBS, scan

__all__ = [
    "BACKENDS",
    "GRAPH_FILES",
    "MAX_NESTING",
    "MAX_OPERATORS",
    "STORE_DIR",
    "FederatedQueryRefused",
    "QueryTooComplex",
    "UpdateRefused",
    "KGStore",
    "OxigraphStore",
    "QueryError",
    "QueryResult",
    "RdflibStore",
    "ResultTooLarge",
    "Term",
    "list_named_queries",
    "load_named_query",
    "named_query_params",
    "open_store",
    "persist_store",
    "register_backend",
    "check_query",
    "run_query",
    "store_status",
    "substitute_params",
]

GRAPH_FILES: tuple[str, ...] = ("kg.nt", "kg.ttl")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class QueryError(Exception):
    """A query that cannot run: bad SPARQL, unknown named query or parameter, missing graph."""


class ResultTooLarge(QueryError):
    """A result with more rows than the `max_rows` the caller allowed."""

    def __init__(self, max_rows: int) -> None:
        super().__init__(f"the result has more than {max_rows} rows; narrow the query or add a LIMIT")
        self.max_rows = max_rows


class FederatedQueryRefused(QueryError):
    """A query with SERVICE (a federated query) while federated queries are not allowed."""


class QueryTooComplex(QueryError):
    """A query nested or chained beyond what the SPARQL parser survives (MAX_NESTING, MAX_OPERATORS)."""


class UpdateRefused(QueryError):
    """A SPARQL Update (INSERT, DELETE, LOAD, ...) given where only queries run."""


# Oxigraph's parser overflows the stack (a segfault: no exception, the process dies) at about 3,000
# nested braces or 7,000 chained operators, and nested [ ] / ( ) / << >> slow it steeply (3 s at 100).
MAX_NESTING = 100
MAX_OPERATORS = 4000


def check_query(sparql: str, *, allow_federated: bool = False) -> None:
    """Refuse, before any parser sees it, a text that is an update, nests or chains too deeply, or
    (unless `allow_federated`) calls another endpoint with SERVICE; see kg.sparql_scan.

    Raises UpdateRefused, QueryTooComplex or FederatedQueryRefused (all QueryError).

    Examples
    --------
    >>> check_query("SELECT * WHERE { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    kg.store.FederatedQueryRefused: federated queries (SERVICE) are refused: ...
    """
    found = scan(sparql, stop_depth=MAX_NESTING, stop_operators=MAX_OPERATORS)
    if found.depth > MAX_NESTING:
        raise QueryTooComplex(f"the query nests brackets more than {MAX_NESTING} deep "
                              "({ } ( ) [ ] << >>); flatten it")
    if found.operators > MAX_OPERATORS:
        raise QueryTooComplex(f"the query has more than {MAX_OPERATORS} operators, separators and "
                              "UNION/OPTIONAL/MINUS; split it (or use VALUES for long lists)")
    if found.verb in UPDATE_VERBS:
        raise UpdateRefused(f"{found.verb} is a SPARQL Update: the graph is read-only, only queries run")
    if found.service and not allow_federated:
        raise FederatedQueryRefused(
            "federated queries (SERVICE) are refused: they would make this process send requests to other "
            "servers; allow them with --allow-federated (allow_federated=True)")


def _capped(rows: Iterable[Any], max_rows: int | None) -> Iterator[Any]:
    """The rows, raising ResultTooLarge on row max_rows + 1 (never reading further)."""
    if max_rows is None:
        yield from rows
        return
    for i, row in enumerate(rows):
        if i >= max_rows:
            raise ResultTooLarge(max_rows)
        yield row


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Term:
    """One RDF term of a result: type 'uri' | 'literal' | 'bnode' | 'triple', lexical value, datatype, lang."""

    type: str
    value: str
    datatype: str | None = None
    lang: str | None = None

    def to_json(self) -> dict[str, str]:
        """The term in the SPARQL 1.1 JSON results format."""
        out = {"type": self.type, "value": self.value}
        if self.lang:
            out["xml:lang"] = self.lang
        elif self.datatype and self.datatype not in (XSD_STRING, RDF_LANG_STRING):
            out["datatype"] = self.datatype
        return out

    def to_nt(self) -> str:
        """The term in N-Triples syntax."""
        if self.type == "uri":
            return f"<{self.value}>"
        if self.type == "bnode":
            return f"_:{self.value}"
        if self.type == "triple":
            return self.value
        body = '"' + escape_string(self.value) + '"'
        if self.lang:
            return f"{body}@{self.lang}"
        if self.datatype and self.datatype != XSD_STRING:
            return f"{body}^^<{self.datatype}>"
        return body


@dataclass
class QueryResult:
    """Result of a query: kind 'select' | 'ask' | 'graph', columns, rows of lexical values, boolean."""

    kind: str
    columns: list[str] = field(default_factory=list)
    terms: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None

    @property
    def rows(self) -> list[tuple[str | None, ...]]:
        """Rows of plain lexical values (IRIs as full IRIs, None when unbound)."""
        return [tuple(None if t is None else t.value for t in row) for row in self.terms]

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[tuple[str | None, ...]]:
        return iter(self.rows)

    def as_dicts(self) -> list[dict[str, str | None]]:
        """Rows as dicts keyed by column."""
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_csv(self) -> str:
        """SPARQL 1.1 CSV results (header of variable names, lexical values, CRLF line ends)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if self.kind == "ask":
            writer.writerow(["boolean"])
            writer.writerow(["true" if self.boolean else "false"])
            return buf.getvalue()
        writer.writerow(self.columns)
        for row in self.terms:
            writer.writerow(["" if t is None else (f"_:{t.value}" if t.type == "bnode" else t.value) for t in row])
        return buf.getvalue()

    def to_json(self) -> str:
        """SPARQL 1.1 JSON results for SELECT/ASK; N-Triples text for CONSTRUCT/DESCRIBE."""
        if self.kind == "graph":
            return self.to_ntriples()
        if self.kind == "ask":
            return json.dumps({"head": {}, "boolean": bool(self.boolean)})
        bindings = [{c: t.to_json() for c, t in zip(self.columns, row) if t is not None} for row in self.terms]
        return json.dumps({"head": {"vars": self.columns}, "results": {"bindings": bindings}},
                          ensure_ascii=False)

    def to_ntriples(self) -> str:
        """The triples of a CONSTRUCT/DESCRIBE result as N-Triples."""
        if self.kind != "graph":
            raise QueryError("only CONSTRUCT and DESCRIBE results are graphs")
        return "".join(" ".join(t.to_nt() for t in row) + " .\n" for row in self.terms)


# --------------------------------------------------------------------------- stores

@runtime_checkable
class KGStore(Protocol):
    """What a store backend offers: a name, where it was loaded from, SPARQL with bound parameters."""

    backend: str
    source: Path | None

    def query(self, sparql: str, params: Mapping[str, str] | None = None, *,
              max_rows: int | None = None) -> QueryResult:
        """Run a SPARQL query (prefixes of kg.rdf.PREFIXES bound, params bound as string literals);
        more than `max_rows` result rows raise ResultTooLarge. (Our stores also take `iris=`, a
        variable -> IRI mapping bound as IRIs, which run_query uses for named queries.)"""
        ...

    def __len__(self) -> int:
        ...


def _graph_file(graph_dir: str | Path) -> Path:
    path = Path(graph_dir)
    if path.is_file():
        return path
    if not path.exists():
        raise QueryError(f"graph directory not found: {path} (build one with `kg build INPUT --output {path}`)")
    for name in GRAPH_FILES:
        if (path / name).is_file():
            return path / name
    raise QueryError(f"no {' or '.join(GRAPH_FILES)} in graph directory {path}")


def _check_params(sparql: str, params: Mapping[str, str] | None) -> dict[str, str]:
    params = dict(params or {})
    for name, value in params.items():
        if not isinstance(name, str) or not _VARNAME.fullmatch(name):
            raise QueryError(f"invalid parameter name {name!r}: use letters, digits and _")
        if not isinstance(value, str):
            raise QueryError(f"parameter {name!r} must be a string, got {type(value).__name__}")
        if not re.search(rf"[?$]{name}(?![A-Za-z0-9_])", sparql):
            raise QueryError(f"parameter {name!r} is not used in the query (as ?{name})")
    return params


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = i + 3
        while True:
            j = text.find(quote * 3, end)
            if j < 0:
                return len(text)
            if _escaped(text, j):
                end = j + 1
                continue
            return j + 3
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == quote or text[j] == "\n":
            return j + 1
        j += 1
    return j


def _escaped(text: str, j: int) -> bool:
    n = 0
    while j - 1 - n >= 0 and text[j - 1 - n] == "\\":
        n += 1
    return n % 2 == 1


_IRI_REF = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_VAR_NAME = re.compile(r"[A-Za-z0-9_\u00B7\u00C0-\uFFFF]+")


class _Iri(str):
    """A parameter value to substitute as an IRI (already validated), not as a string literal."""


def substitute_params(sparql: str, params: Mapping[str, str]) -> str:
    """The query with each ?name / $name of `params` replaced by an escaped string literal.

    Strings, IRIs and comments are left alone. This is the textual form of the substitution Oxigraph
    does natively (SEP-0007), used where Oxigraph refuses it (a SELECT that does not project the
    variable): the value becomes one complete, escaped literal token whatever characters it holds.
    """
    if not params:
        return sparql
    out: list[str] = []
    i, last, n = 0, 0, len(sparql)
    while i < n:
        c = sparql[i]
        if c in "\"'":
            i = _skip_string(sparql, i)
            continue
        if c == "#":
            nl = sparql.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if c == "<":
            m = _IRI_REF.match(sparql, i)
            if m:
                i = m.end()
                continue
        if c in "?$":
            m = _VAR_NAME.match(sparql, i + 1)
            before = sparql[i - 1] if i else " "
            if m and m.group() in params and not (before.isalnum() or before in "_:"):
                out.append(sparql[last:i])
                value = params[m.group()]
                if isinstance(value, _Iri):
                    if not _IRI_REF.fullmatch(f"<{value}>"):
                        raise QueryError(f"not an IRI for ?{m.group()}: {value!r}")
                    out.append(f"<{value}>")
                else:
                    out.append('"' + escape_string(value) + '"')
                i = last = m.end()
                continue
        i += 1
    out.append(sparql[last:])
    return "".join(out)


class OxigraphStore:
    """A pyoxigraph Store: the persisted on-disk store of a graph directory (opened read-only), or an
    in-memory one loaded from its kg.nt / kg.ttl.

    A persisted store also holds the results of the parameterless named queries (top-datasets, ...),
    computed when it was built: the store never changes, so neither do they. `query` answers those
    exact query texts from them (set `use_materialized = False` to always compute).
    """

    backend = "oxigraph"
    use_materialized = True

    def __init__(self, store: Any = None, source: Path | None = None, *, persisted: bool = False) -> None:
        import pyoxigraph

        self._ox = pyoxigraph
        self.store = store if store is not None else pyoxigraph.Store()
        self.source = source
        self.persisted = persisted
        self._materialized: dict[str, dict] | None = None

    @classmethod
    def open(cls, graph_dir: str | Path) -> OxigraphStore:
        """The persisted store DIR/store when it is current (read-only, no parsing), else an in-memory load."""
        path = Path(graph_dir)
        if path.is_dir() and store_status(path) == "current":
            return cls.open_persisted(path)
        return cls.open_memory(path)

    @classmethod
    def open_persisted(cls, graph_dir: str | Path) -> OxigraphStore:
        """Open DIR/store (written by persist_store / `kg build`) read-only; QueryError if missing or stale."""
        import pyoxigraph

        path = Path(graph_dir)
        status = store_status(path)
        if status != "current":
            raise QueryError(f"no usable persisted store in {path} ({status}); "
                             f"rebuild it with `kg build` or `kg store --graph {path}`")
        try:
            store = pyoxigraph.Store.read_only(str(path / STORE_DIR))
        except OSError as exc:
            raise QueryError(f"cannot open the store in {path / STORE_DIR}: {exc}") from exc
        return cls(store, path / STORE_DIR, persisted=True)

    @classmethod
    def open_memory(cls, graph_dir: str | Path) -> OxigraphStore:
        """Load kg.nt (or kg.ttl) of `graph_dir` into a new in-memory Oxigraph store."""
        import pyoxigraph

        path = _graph_file(graph_dir)
        store = pyoxigraph.Store()
        try:
            store.bulk_load(path=str(path), format=_ox_format(path))
        except (SyntaxError, ValueError, OSError) as exc:
            raise QueryError(f"cannot load {path}: {exc}") from exc
        return cls(store, path)

    def __len__(self) -> int:
        return len(self.store)

    def query(self, sparql: str, params: Mapping[str, str] | None = None, *,
              max_rows: int | None = None, iris: Mapping[str, str] | None = None,
              allow_federated: bool = False) -> QueryResult:
        """Run SPARQL; parameters bound with Oxigraph substitutions (or substitute_params).

        `params` are bound as string literals, `iris` (variable -> IRI) as IRIs. With `max_rows`, a
        result of more rows (solutions or triples) raises ResultTooLarge. The text is checked first
        (check_query): SERVICE is refused unless `allow_federated`.
        """
        ox = self._ox
        check_query(sparql, allow_federated=allow_federated)
        params = _check_params(sparql, params)
        iris = _check_params(sparql, iris)
        if not params and not iris and self.persisted and self.use_materialized:
            cached = self._cached(sparql)
            if cached is not None:
                if max_rows is not None and len(cached.terms) > max_rows:
                    raise ResultTooLarge(max_rows)
                return cached
        try:
            result = self._run(sparql, params, iris)
            if isinstance(result, ox.QueryBoolean):
                return QueryResult("ask", boolean=bool(result))
            if isinstance(result, ox.QuerySolutions):
                columns = [v.value for v in result.variables]
                term = self._term
                rows = [tuple(term(sol[c]) for c in columns) for sol in _capped(result, max_rows)]
                return QueryResult("select", columns, rows)
            rows = [(self._term(t.subject), self._term(t.predicate), self._term(t.object))
                    for t in _capped(result, max_rows)]
            return QueryResult("graph", ["subject", "predicate", "object"], rows)
        except QueryError:
            raise
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except (RuntimeError, ValueError, OSError) as exc:
            raise QueryError(f"query failed: {exc}") from exc

    def _cached(self, sparql: str) -> QueryResult | None:
        if self._materialized is None:
            self._materialized = {}
            if self.source is not None:
                try:
                    data = json.loads((Path(self.source) / STORE_RESULTS).read_text(encoding="utf-8"))
                    self._materialized = data if isinstance(data, dict) else {}
                except (OSError, ValueError):
                    pass
        entry = self._materialized.get(_query_key(sparql))
        return None if entry is None else _result_from_json(entry)

    def _run(self, sparql: str, params: dict[str, str], iris: dict[str, str] | None = None) -> Any:
        ox = self._ox
        values: dict[str, Any] = {k: ox.Literal(v) for k, v in params.items()}
        for k, v in (iris or {}).items():
            try:
                values[k] = ox.NamedNode(v)
            except ValueError as exc:
                raise QueryError(f"not an IRI for ?{k}: {v!r}") from exc
        if not values:
            return self.store.query(sparql, prefixes=PREFIXES)
        textual: dict[str, str] = {}
        while True:
            subs = {ox.Variable(k): v for k, v in values.items() if k not in textual}
            try:
                return self.store.query(substitute_params(sparql, textual), prefixes=PREFIXES, substitutions=subs)
            except RuntimeError as exc:
                # Oxigraph substitutes only variables a SELECT projects: substitute the others here
                # (values go in as escaped literals, or as IRIs Oxigraph has validated).
                m = re.search(r"variable \?([A-Za-z0-9_]+) in its SELECT projection", str(exc))
                if "projection" not in str(exc):
                    raise
                name = m.group(1) if m and m.group(1) in values and m.group(1) not in textual else None
                if name is None:  # an unexpected message: substitute all of them
                    name = next((k for k in values if k not in textual), None)
                    if name is None:
                        raise
                textual[name] = params[name] if name in params else _Iri(values[name].value)
            except TypeError:  # an Oxigraph without `substitutions`
                everything = {**params, **{k: _Iri(v.value) for k, v in values.items() if k not in params}}
                return self.store.query(substitute_params(sparql, everything), prefixes=PREFIXES)

    def _term(self, term: Any) -> Term | None:
        ox = self._ox
        if term is None:
            return None
        if isinstance(term, ox.NamedNode):
            return Term("uri", term.value)
        if isinstance(term, ox.BlankNode):
            return Term("bnode", term.value)
        if isinstance(term, ox.Literal):
            return Term("literal", term.value, term.datatype.value, term.language)
        return Term("triple", str(term))


class RdflibStore:
    """An rdflib Graph loaded from a graph directory (slow on big graphs; the API people know)."""

    backend = "rdflib"

    def __init__(self, graph: Any = None, source: Path | None = None) -> None:
        import rdflib

        self.graph = graph if graph is not None else rdflib.Graph()
        self.source = source

    @classmethod
    def open(cls, graph_dir: str | Path) -> RdflibStore:
        """Parse kg.nt (or kg.ttl) of `graph_dir` into an rdflib Graph."""
        import rdflib

        path = _graph_file(graph_dir)
        try:
            fmt = {".nt": "nt", ".jsonld": "json-ld"}.get(path.suffix, "turtle")
            graph = rdflib.Graph().parse(path, format=fmt)
        except Exception as exc:  # rdflib raises many parser-specific types
            raise QueryError(f"cannot load {path}: {exc}") from exc
        return cls(graph, path)

    def __len__(self) -> int:
        return len(self.graph)

    def query(self, sparql: str, params: Mapping[str, str] | None = None, *,
              max_rows: int | None = None, iris: Mapping[str, str] | None = None,
              allow_federated: bool = False) -> QueryResult:
        """Run SPARQL; parameters bound with rdflib initBindings (`params` as string literals, `iris` as IRIs).

        With `max_rows`, a result of more rows (solutions or triples) raises ResultTooLarge. The text
        is checked first (check_query), also as rdflib reads it: with \\u escapes expanded.
        """
        import rdflib
        from rdflib.plugins.sparql.parser import expandUnicodeEscapes
        from rdflib.query import Result

        check_query(sparql, allow_federated=allow_federated)
        check_query(expandUnicodeEscapes(sparql), allow_federated=allow_federated)
        params = _check_params(sparql, params)
        iris = _check_params(sparql, iris)
        bindings = {rdflib.Variable(k): rdflib.Literal(v) for k, v in params.items()}
        for k, v in iris.items():
            if ":" not in v or not _IRI_REF.fullmatch(f"<{v}>"):
                raise QueryError(f"not an IRI for ?{k}: {v!r}")
            bindings[rdflib.Variable(k)] = rdflib.URIRef(v)
        try:
            result: Result = self.graph.query(sparql, initNs=PREFIXES, initBindings=bindings)
            kind = result.type
            if kind == "SELECT":
                columns = [str(v) for v in result.vars or ()]
                rows = [tuple(self._term(row[i]) for i in range(len(columns))) for row in _capped(result, max_rows)]
                return QueryResult("select", columns, rows)
            if kind == "ASK":
                return QueryResult("ask", boolean=bool(result.askAnswer))
            rows = [tuple(self._term(x) for x in triple) for triple in _capped(result, max_rows)]
            return QueryResult("graph", ["subject", "predicate", "object"], rows)
        except QueryError:
            raise
        except Exception as exc:  # pyparsing ParseException, unknown prefix, evaluation errors
            name = type(exc).__name__
            prefix = "SPARQL syntax error" if "Parse" in name else f"query failed ({name})"
            raise QueryError(f"{prefix}: {exc}") from exc

    @staticmethod
    def _term(term: Any) -> Term | None:
        import rdflib

        if term is None:
            return None
        if isinstance(term, rdflib.URIRef):
            return Term("uri", str(term))
        if isinstance(term, rdflib.BNode):
            return Term("bnode", str(term))
        if isinstance(term, rdflib.Literal):
            datatype = str(term.datatype) if term.datatype else (RDF_LANG_STRING if term.language else XSD_STRING)
            return Term("literal", str(term), datatype, term.language)
        return Term("triple", str(term))


# --------------------------------------------------------------------------- the persisted store

STORE_DIR = "store"
STORE_META = "paperkg-store.json"  # inside DIR/store: which graph file the store holds (RocksDB ignores it)
STORE_RESULTS = "paperkg-results.json"  # inside DIR/store: materialised parameterless named queries
_STORE_FORMAT = 1
_MATERIALIZE_MAX_ROWS = 10_000


def _query_key(sparql: str) -> str:
    return hashlib.sha256(sparql.encode("utf-8")).hexdigest()


def _result_to_json(result: QueryResult) -> dict:
    terms = [[None if t is None else [t.type, t.value, t.datatype, t.lang] for t in row] for row in result.terms]
    return {"kind": result.kind, "columns": result.columns, "terms": terms, "boolean": result.boolean}


def _result_from_json(data: dict) -> QueryResult:
    terms = [tuple(None if t is None else Term(*t) for t in row) for row in data["terms"]]
    return QueryResult(data["kind"], list(data["columns"]), terms, data.get("boolean"))


def _materialize(store: Any) -> dict[str, dict]:
    """Results of the named queries that take no parameters, keyed by the SHA-256 of their text."""
    ox_store = OxigraphStore(store)
    out = {}
    for name in list_named_queries():
        text = load_named_query(name)
        if named_query_params(text):
            continue
        try:
            out[_query_key(text)] = _result_to_json(ox_store.query(text, max_rows=_MATERIALIZE_MAX_ROWS))
        except QueryError:
            continue  # too big or broken: computed at query time, as any other query
    return out


def _ox_format(path: Path) -> Any:
    import pyoxigraph

    return {".nt": pyoxigraph.RdfFormat.N_TRIPLES, ".jsonld": pyoxigraph.RdfFormat.JSON_LD,
            ".json": pyoxigraph.RdfFormat.JSON_LD}.get(path.suffix, pyoxigraph.RdfFormat.TURTLE)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_meta(graph_dir: Path) -> dict | None:
    try:
        meta = json.loads((graph_dir / STORE_DIR / STORE_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == _STORE_FORMAT else None


def store_status(graph_dir: str | Path) -> str:
    """State of the persisted store of a graph directory: 'current', 'missing' or 'stale (why)'.

    The store is current when it was loaded from the graph file (kg.nt, else kg.ttl) as it is now:
    same size and modification time, or (after a copy that changed the time) the same SHA-256.
    """
    path = Path(graph_dir)
    if not (path / STORE_DIR).is_dir():
        return "missing"
    meta = _read_meta(path)
    if meta is None:
        return "stale (no readable " + STORE_META + ")"
    try:
        source = _graph_file(path)
    except QueryError:
        return "stale (no kg.nt or kg.ttl beside it)"
    if source.name != meta.get("source"):
        return f"stale (built from {meta.get('source')}, the graph is now in {source.name})"
    st = source.stat()
    if st.st_size != meta.get("size"):
        return f"stale ({source.name} changed since the store was built)"
    if st.st_mtime_ns != meta.get("mtime_ns") and _sha256(source) != meta.get("sha256"):
        return f"stale ({source.name} changed since the store was built)"
    return "current"


def _remove_leftovers(graph_dir: Path) -> None:
    """Remove .store.*.tmp / .store.*.old directories a killed build left behind (none is in use:
    a store being written holds its RocksDB LOCK file, which is then skipped)."""
    for d in graph_dir.glob(".store.*"):
        if not d.is_dir() or not d.name.endswith((".tmp", ".old")):
            continue
        lock = d / "LOCK"
        if lock.exists():
            try:
                import fcntl

                with lock.open("a") as fh:
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.lockf(fh, fcntl.LOCK_UN)
            except ImportError:
                continue  # no POSIX locks here: leave it
            except OSError:
                continue  # another process is writing it
        shutil.rmtree(d, ignore_errors=True)


# Quads handed to the store at a time. Oxigraph's bulk loader holds about twice its input in memory
# (1.7 GB for the 720 MB kg.nt of 10,000 papers, growing with the corpus); fed from one streaming
# parse in batches it takes about 120 MB at any size, no slower. One parse of the whole file keeps
# each blank node one node (a bulk load of each piece would give a piece its own blank nodes) and
# locates a syntax error in the file.
STORE_LOAD_BATCH = 50_000


def _bulk_load(store, src: Path, fmt, batch_size: int = STORE_LOAD_BATCH) -> None:
    import pyoxigraph

    quads = pyoxigraph.parse(path=str(src), format=fmt)
    while batch := list(itertools.islice(quads, batch_size)):
        store.bulk_extend(batch)


def persist_store(graph_dir: str | Path, source: str | Path | None = None,
                  parts: Iterable[Path] | None = None) -> Path:
    """Bulk-load the graph file of `graph_dir` into an on-disk Oxigraph store DIR/store, atomically.

    The new store is built in a temporary directory beside the old one and swapped in only when
    complete (one atomic exchange on Linux, two renames elsewhere): a failed or interrupted load
    leaves the previous store as it was. Queries then open it read-only without parsing anything.
    The results of the parameterless named queries are computed once here and kept with the store
    (see OxigraphStore): they cannot change while the store does not.

    Parameters
    ----------
    graph_dir : a directory written by `kg build` / kg.rdf.write_rdf.
    source : the RDF file to load (default: kg.nt, else kg.ttl, of graph_dir).
    parts : N-Triples files that together hold every triple of `source`, loaded instead of it, one
        after the other as the iterable yields them; `source` is only looked at once they are all
        loaded (`kg build` hands over kg.nt's sorted runs while it is still writing kg.nt:
        kg.store_loader).

    Returns
    -------
    The path of the store (DIR/store).

    Examples
    --------
    >>> persist_store("out")
    PosixPath('out/store')
    >>> open_store("out").persisted
    True
    """
    import pyoxigraph

    out = Path(graph_dir)
    src = Path(source) if source is not None else None
    if src is None and parts is None:
        src = _graph_file(out)  # with parts, kg.nt may not be there until they are all loaded
    target = out / STORE_DIR
    _remove_leftovers(out)
    tmp = Path(tempfile.mkdtemp(prefix=".store.", suffix=".tmp", dir=out))
    try:
        store = pyoxigraph.Store(str(tmp))
        if parts is None:
            st = src.stat()
            _load_file(store, src)
        else:
            for part in parts:
                _load_file(store, Path(part))
            src = src or _graph_file(out)
            st = src.stat()
        store.optimize()
        store.flush()
        triples = len(store)
        materialized = _materialize(store)
        del store  # closes the RocksDB instance
        (tmp / STORE_RESULTS).write_text(json.dumps(materialized, ensure_ascii=False), encoding="utf-8")
        meta = {"format": _STORE_FORMAT, "source": src.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "sha256": _sha256(src), "triples": triples}
        (tmp / STORE_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _load_file(store, path: Path) -> None:
    try:
        _bulk_load(store, path, _ox_format(path))
    except (SyntaxError, ValueError) as exc:
        raise QueryError(f"cannot load {path}: {exc}") from exc


BACKENDS: dict[str, Callable[[Path], KGStore]] = {
    "oxigraph": OxigraphStore.open,  # DIR/store when current, else kg.nt loaded in memory
    "oxigraph-disk": OxigraphStore.open_persisted,  # DIR/store only
    "oxigraph-memory": OxigraphStore.open_memory,  # always parse kg.nt / kg.ttl into memory
    "rdflib": RdflibStore.open,
}


def register_backend(name: str, opener: Callable[[Path], KGStore]) -> None:
    """Make `open_store(dir, backend=name)` use `opener(dir)` (e.g. an on-disk Oxigraph store)."""
    BACKENDS[name] = opener


def open_store(graph_dir: str | Path, backend: str = "oxigraph") -> KGStore:
    """Open a built graph directory for SPARQL with `backend`.

    "oxigraph" (the default) opens the persisted store DIR/store read-only when it is current, and
    otherwise loads kg.nt (else kg.ttl) into memory; "oxigraph-disk" insists on DIR/store,
    "oxigraph-memory" always parses, "rdflib" parses into an rdflib Graph.

    Examples
    --------
    >>> store = open_store("out")
    >>> run_query(store, "ASK { ?p a kg:Paper }").boolean
    True
    """
    opener = BACKENDS.get(backend)
    if opener is None:
        raise QueryError(f"unknown store backend {backend!r}; choose from {', '.join(sorted(BACKENDS))}")
    return opener(Path(graph_dir))


# --------------------------------------------------------------------------- named queries

_PARAM_LINE = re.compile(r"#\s*param:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:—|–|-|:)?\s*(.*)")


def _queries_dir() -> Path:
    return ontology_path("queries")


def list_named_queries() -> dict[str, str]:
    """Named queries shipped in ontology/queries/: name -> description (from its '# description:' line)."""
    out: dict[str, str] = {}
    folder = _queries_dir()
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else ():
        description = ""
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"#\s*description:\s*(.*)", line)
            if m:
                description = m.group(1).strip()
                break
        out[path.stem] = description
    return out


def load_named_query(name: str) -> str:
    """Text of the named query `name` (with or without .rq)."""
    stem = name.removesuffix(".rq")
    if not _VARNAME.fullmatch(stem.replace("-", "_")):
        raise QueryError(f"unknown named query {name!r}")
    path = _queries_dir() / f"{stem}.rq"
    if not path.is_file():
        known = ", ".join(list_named_queries()) or "none"
        raise QueryError(f"unknown named query {name!r}; known: {known}")
    return path.read_text(encoding="utf-8")


def named_query_params(name_or_text: str) -> dict[str, str]:
    """Parameters a named query declares with '# param: name — meaning' lines: name -> meaning."""
    text = name_or_text if "\n" in name_or_text else load_named_query(name_or_text)
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _PARAM_LINE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _resolve(sparql: str, params: Mapping[str, str] | None) -> str:
    name = sparql.strip()
    if not name or re.search(r"\s", name) or not re.fullmatch(r"[A-Za-z0-9_-]+(\.rq)?", name):
        return sparql
    stem = name.removesuffix(".rq")
    if stem not in list_named_queries():
        return sparql
    text = load_named_query(stem)
    declared = named_query_params(text)
    given = dict(params or {})
    missing = [p for p in declared if p not in given]
    if missing:
        raise QueryError(f"named query {stem!r} needs parameter(s): "
                         + ", ".join(f"{p} ({declared[p]})" for p in missing))
    unknown = [p for p in given if p not in declared]
    if unknown:
        raise QueryError(f"named query {stem!r} has no parameter(s) {', '.join(unknown)}; "
                         f"it takes: {', '.join(declared) or 'none'}")
    return text


def run_query(graph_dir_or_store: str | Path | KGStore, sparql: str,
              params: Mapping[str, str] | None = None, *, backend: str = "oxigraph",
              allow_federated: bool = False) -> QueryResult:
    """Run SPARQL (or a named query, by name) against a graph directory or an open store.

    Parameters
    ----------
    graph_dir_or_store : a directory written by `kg build`, a kg.nt/kg.ttl file, or a store from open_store.
    sparql : the query text, or the name of a query in ontology/queries/ (see list_named_queries()).
    params : values for query variables, bound as string literals (never spliced into the text).
    backend : store backend used when a directory is given.
    allow_federated : run SERVICE clauses (requests to other endpoints); refused by default.

    Returns
    -------
    QueryResult with kind, columns, rows, boolean, to_csv() and to_json().

    Raises
    ------
    QueryError on a missing graph, bad SPARQL, an unknown named query or a wrong parameter; its
    subclasses FederatedQueryRefused, QueryTooComplex and UpdateRefused before anything is parsed.

    Examples
    --------
    >>> run_query("out", "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows
    [('25',)]
    >>> run_query("out", "papers-using-dataset", {"dataset": "ILSVRC-2012"}).columns
    ['paper', 'title', 'relation', 'dataset']
    """
    if not isinstance(sparql, str) or not sparql.strip():
        raise QueryError("empty query")
    text = _resolve(sparql, params)
    check_query(text, allow_federated=allow_federated)  # also for a registered backend, before opening
    store = graph_dir_or_store
    if isinstance(store, (str, Path)):
        store = open_store(store, backend=backend)
    if not isinstance(store, (OxigraphStore, RdflibStore)):
        return store.query(text, params)
    if text is sparql or not params:
        return store.query(text, params, allow_federated=allow_federated)
    bound, iris = _lookups(store, text, params)
    return store.query(text, bound, iris=iris, allow_federated=allow_federated)


# Whitespace as SPARQL regexes (Oxigraph: Unicode White_Space) see it; Python's \s has a few more.
_WS = "[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# The arXiv id normalisation of the paper queries (their REPLACE chain), step by step.
_ARXIV_STEPS = (
    re.compile(f"^{_WS}+|{_WS}+\\Z"),
    re.compile(f"^([aA][rR][xX][iI][vV]:{_WS}*|https?://(www\\.)?arxiv\\.org/(abs|pdf)/)"),
    re.compile(r"(v[0-9]+)?\.pdf\Z|v[0-9]+\Z"),
)


def _arxiv_id(value: str) -> str:
    for step in _ARXIV_STEPS:
        value = step.sub("", value)
    return value


def _find_papers(store: OxigraphStore | RdflibStore, value: str) -> set[str]:
    """IRIs of the papers `value` names exactly (as IRI, node key or arXiv id): index lookups only."""
    from .schema import BASE

    found: set[str] = set()
    for candidate in dict.fromkeys((value, BASE + value)):
        if ":" not in candidate or not _IRI_REF.fullmatch(f"<{candidate}>"):
            continue  # not an absolute IRI: no paper has it
        try:
            if store.query("SELECT ?paper_iri WHERE { ?paper_iri a kg:Paper }", iris={"paper_iri": candidate}).rows:
                found.add(candidate)
        except QueryError:
            continue  # an IRI the store refuses is no paper's
    arxiv_id = _arxiv_id(value)
    if arxiv_id:
        rows = store.query("SELECT ?paper_iri ?arxiv_id WHERE { ?paper_iri fabio:hasArXivId ?arxiv_id }",
                           {"arxiv_id": arxiv_id}).rows
        found.update(row[0] for row in rows if row[0])
    return found


def _lookups(store: OxigraphStore | RdflibStore, text: str, params: Mapping[str, str]
             ) -> tuple[dict[str, str], dict[str, str]]:
    """Extra bindings that turn a named query's scans into index lookups, results unchanged.

    For a parameter NAME, a query using ?NAME_key gets it bound to kg.rdf.label_key(value) (the form
    of kg:labelKey). A `paper` parameter with a query using ?paper_iri is looked up first by IRI,
    node key and arXiv id; when exactly one paper has it, ?paper_iri is bound to that paper (the
    part-of-title search, which reads every title, is then not made); otherwise the query runs as
    written. Values are bound as literals or validated IRIs, never pasted into the text.
    """
    from .rdf import label_key

    bound, iris = dict(params), {}
    for name, value in params.items():
        if re.search(rf"[?$]{name}_key(?![A-Za-z0-9_])", text):
            bound[f"{name}_key"] = label_key(value)
    paper = params.get("paper")
    if paper is not None and re.search(r"[?$]paper_iri(?![A-Za-z0-9_])", text):
        found = _find_papers(store, paper)
        if len(found) == 1:
            iris["paper_iri"] = found.pop()
    return bound, iris

