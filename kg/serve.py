"""A read-only SPARQL 1.1 Protocol endpoint over a built graph directory, with a query page.

`kg serve --graph DIR` answers `/sparql` (GET, and POST as application/x-www-form-urlencoded or
application/sparql-query). SELECT/ASK results come as SPARQL JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE
as Turtle, N-Triples, JSON-LD or RDF/XML, chosen by the Accept header or a `format` parameter
(`json`, `xml`, `csv`, `tsv`, `turtle`, `nt`, `json-ld`, `rdf`, or a media type). `/` is a small
offline query page.

Safety:

* read-only: SPARQL Update (an `update` parameter or an application/sparql-update body) is refused with
  403 and never executed; the store itself is opened read-only, and the query parser rejects updates;
* answers (200 only) are kept in a bounded LRU cache keyed by the exact query text, Accept and format:
  the workers hold the store open read-only, a fixed snapshot, so an answer cannot go stale while they
  live. Queries that may differ from run to run (RAND, NOW, UUID, STRUUID, BNODE, SERVICE) are never
  cached; `cache_bytes=0` turns the cache off;
* every query runs in a worker process with the store open; a query still running after `timeout`
  seconds is stopped by killing its worker (a fresh one replaces it) and answered with 503, while
  the other workers keep answering;
* no outbound requests: a federated query (SERVICE) is refused with 400 unless the server was started
  with `allow_federated=True` (`kg serve --allow-federated`); so are texts nested or chained beyond
  what the parser survives (kg.store.check_query, checked here and again in the worker);
* results are capped at `max_rows` rows (400 with a clear message beyond that), requests at 1 MiB; a
  bad Content-Length gets 400, and a connection that sends nothing for `request_timeout` seconds
  (30 by default) is closed, so a half-open client holds no thread for long;
* binds to 127.0.0.1 unless told otherwise; no CORS headers unless origins are given (`cors_origins`,
  `kg serve --cors-origin ORIGIN`, or `*`): otherwise any web page the user opens could query it.

Examples
--------
>>> server = make_server("out", port=0)       # port 0: any free port
>>> server.url
'http://127.0.0.1:.../sparql'
>>> threading.Thread(target=server.serve_forever, daemon=True).start()
>>> server.close()
"""
from __future__ import annotations

import html
import json
import os
import queue
from collections import OrderedDict
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from .schema import BASE, PREFIXES
from .store import QueryError, QueryResult, ResultTooLarge, Term, UpdateRefused, check_query

__all__ = [
    "GRAPH_TYPES",
    "RESULT_TYPES",
    "QueryService",
    "Response",
    "SparqlServer",
    "make_server",
    "negotiate",
    "render",
    "serve",
]

MAX_BODY = 1 << 20
REQUEST_TIMEOUT = 30.0  # seconds a connection may stay silent (mid-request or idle between requests)
LISTEN_BACKLOG = 128  # socketserver's 5 made new connections wait for SYN retries (1 s, 3 s) under load
CACHE_BYTES = 32 << 20
# Functions whose value changes from one run to the next, and SERVICE (another endpoint's data):
# such answers are never cached. A false match (the word in a literal) only costs a cache miss.
_UNCACHEABLE = re.compile(r"(?i)\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(|SERVICE")
# Media types per result kind, the first the default; format short names -> media type.
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
_ALIASES = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "text/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/plain": ("text/tab-separated-values", "application/n-triples"),
    "application/x-turtle": (None, "text/turtle"),
    "text/n3": (None, "text/turtle"),
    "text/rdf+n3": (None, "text/turtle"),
}
_FORMATS = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"), "ttl": (None, "text/turtle"), "n3": (None, "text/turtle"),
    "nt": (None, "application/n-triples"), "ntriples": (None, "application/n-triples"),
    "n-triples": (None, "application/n-triples"),
    "json-ld": (None, "application/ld+json"), "jsonld": (None, "application/ld+json"),
    "rdf": (None, "application/rdf+xml"), "rdf+xml": (None, "application/rdf+xml"),
}


@dataclass
class Response:
    """An HTTP answer: status, content type and body."""

    status: int
    content_type: str
    body: bytes

    @classmethod
    def error(cls, status: int, message: str) -> Response:
        """A plain-text error answer."""
        return cls(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


# --------------------------------------------------------------------------- content negotiation

def _parse_accept(accept: str) -> list[tuple[str, float]]:
    out = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        out.append((media, q - i * 1e-6))  # stable: earlier wins among equal q
    return out


def negotiate(kind: str, accept: str | None, fmt: str | None) -> str | None:
    """The media type to answer a result of `kind` ('select' | 'ask' | 'graph') with, or None (406).

    A `format` parameter (short name or media type) wins over the Accept header.
    """
    offered = GRAPH_TYPES if kind == "graph" else RESULT_TYPES
    slot = 1 if kind == "graph" else 0
    if fmt:
        name = fmt.strip().lower()
        if name in _FORMATS:
            return _FORMATS[name][slot]
        if name in _ALIASES:
            return _ALIASES[name][slot]
        return name if name in offered else None
    if not accept or not accept.strip():
        return offered[0]
    best, best_q = None, 0.0
    for media, q in _parse_accept(accept):
        if q <= 0:
            continue
        if media in ("*/*", "application/*", "text/*"):
            major = media.split("/")[0]
            candidate = next((m for m in offered if major == "*" or m.startswith(major + "/")), None)
            q -= 0.01  # a wildcard loses to an explicit type of the same q
        elif media in offered:
            candidate = media
        elif media in _ALIASES:
            candidate = _ALIASES[media][slot]
        else:
            candidate = None
        if candidate and q > best_q:
            best, best_q = candidate, q
    return best


# --------------------------------------------------------------------------- serialisation

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return xml_escape(_XML_BAD.sub("\ufffd", text))


def _xml_term(t: Term) -> str:
    if t.type == "uri":
        return f"<uri>{_xml_text(t.value)}</uri>"
    if t.type == "bnode":
        return f"<bnode>{_xml_text(t.value)}</bnode>"
    if t.type == "triple":
        return f"<literal>{_xml_text(t.value)}</literal>"
    attrs = ""
    if t.lang:
        attrs = f" xml:lang={quoteattr(_XML_BAD.sub('', t.lang))}"
    elif t.datatype and t.datatype != "http://www.w3.org/2001/XMLSchema#string":
        attrs = f" datatype={quoteattr(_XML_BAD.sub('', t.datatype))}"
    return f"<literal{attrs}>{_xml_text(t.value)}</literal>"


def _to_xml(result: QueryResult) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    if result.kind == "ask":
        out.append("</head>\n<boolean>" + ("true" if result.boolean else "false") + "</boolean>\n</sparql>\n")
        return "".join(out)
    out.extend(f"<variable name={quoteattr(c)}/>" for c in result.columns)
    out.append("</head>\n<results>\n")
    for row in result.terms:
        out.append("<result>")
        out.extend(f"<binding name={quoteattr(c)}>{_xml_term(t)}</binding>"
                   for c, t in zip(result.columns, row) if t is not None)
        out.append("</result>\n")
    out.append("</results>\n</sparql>\n")
    return "".join(out)


def _to_tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + c for c in result.columns)]
    lines.extend("\t".join("" if t is None else t.to_nt() for t in row) for row in result.terms)
    return "\n".join(lines) + "\n"


def _graph_bytes(result: QueryResult, media: str) -> bytes:
    text = result.to_ntriples()
    if media == "application/n-triples":
        return text.encode("utf-8")
    import pyoxigraph as ox

    fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
           "application/rdf+xml": ox.RdfFormat.RDF_XML}[media]
    triples = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    prefixes = {p: ns for p, ns in PREFIXES.items() if p != "kgr"}
    return ox.serialize(triples, format=fmt, prefixes=prefixes)


def render(result: QueryResult, accept: str | None = None, fmt: str | None = None) -> Response:
    """The result in the negotiated format (406 when none of the acceptable ones fits its kind)."""
    media = negotiate(result.kind, accept, fmt)
    if media is None:
        offered = GRAPH_TYPES if result.kind == "graph" else RESULT_TYPES
        what = "CONSTRUCT/DESCRIBE" if result.kind == "graph" else result.kind.upper()
        asked = f"format={fmt!r}" if fmt else f"Accept: {accept}"
        return Response.error(406, f"cannot answer a {what} query as {asked}; available: {', '.join(offered)}")
    if result.kind == "graph":
        body = _graph_bytes(result, media)
    elif media == "application/sparql-results+json":
        body = result.to_json().encode("utf-8")
    elif media == "application/sparql-results+xml":
        body = _to_xml(result).encode("utf-8")
    elif media == "text/csv":
        body = result.to_csv().encode("utf-8")
    else:
        body = _to_tsv(result).encode("utf-8")
    charset = "" if media == "application/n-triples" else "; charset=utf-8"
    return Response(200, media + charset, body)


# --------------------------------------------------------------------------- worker processes

def _worker_main(graph_dir: str, backend: str, max_rows: int, allow_federated: bool = False) -> None:
    """Worker process (`python -m kg.serve --worker`): open the store once, then answer
    (query, accept, format) jobs read from stdin until EOF; answers go to the original stdout."""
    from multiprocessing.connection import Connection

    from .store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's business
    out_fd = os.dup(1)
    os.dup2(2, 1)  # a stray print must not corrupt the answers
    jobs, answers = Connection(0, writable=False), Connection(out_fd, readable=False)
    try:
        store = open_store(graph_dir, backend=backend)
        answers.send(("ready", len(store)))
    except Exception as exc:  # report, then die
        answers.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        sparql, accept, fmt = job
        try:
            response = render(store.query(sparql, max_rows=max_rows, allow_federated=allow_federated), accept, fmt)
        except ResultTooLarge as exc:
            response = Response.error(400, f"result too large: {exc} (this endpoint returns at most "
                                           f"{exc.max_rows} rows)")
        except QueryError as exc:
            response = Response.error(400, str(exc))
        except Exception as exc:  # a bug or a store failure: the server must keep going
            response = Response.error(500, f"query failed: {type(exc).__name__}: {exc}")
        try:
            answers.send((response.status, response.content_type, response.body))
        except (EOFError, OSError):
            return


class _Worker:
    """One worker process (a fresh interpreter: no fork of the threaded server, no __main__ re-import)."""

    def __init__(self, graph_dir: str, backend: str, max_rows: int, start_timeout: float,
                 allow_federated: bool = False) -> None:
        from multiprocessing.connection import Connection

        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.serve", "--worker", graph_dir, backend, str(max_rows),
             "federated" if allow_federated else "local"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        self._send = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        if not self._recv.poll(start_timeout):
            self.kill()
            raise RuntimeError(f"a query worker did not open {graph_dir} within {start_timeout:.0f} s")
        try:
            status, detail = self._recv.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise RuntimeError(f"a query worker could not start: {exc}") from exc
        if status != "ready":
            self.kill()
            raise RuntimeError(f"a query worker could not open {graph_dir}: {detail}")
        self.triples = detail

    def send(self, job: Any) -> None:
        self._send.send(job)

    def poll(self, timeout: float) -> bool:
        return self._recv.poll(timeout)

    def recv(self) -> Any:
        return self._recv.recv()

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for conn in (self._send, self._recv):
            try:
                conn.close()
            except OSError:
                pass


class QueryService:
    """A pool of worker processes holding the store open; runs queries with a timeout.

    Parameters
    ----------
    graph_dir : folder written by `kg build` (its persisted store DIR/store is opened read-only).
    backend : store backend (kg.store.BACKENDS), "oxigraph" by default.
    workers : worker processes, i.e. queries answered at the same time.
    timeout : seconds a query may run (and wait for a free worker) before it is stopped.
    max_rows : most result rows returned.
    allow_federated : let queries call other endpoints (SERVICE); refused by default.
    cache_bytes : size of the answer cache (see the module docstring); 0: no cache.
    """

    def __init__(self, graph_dir: str | Path, *, backend: str = "oxigraph", workers: int = 2,
                 timeout: float = 10.0, max_rows: int = 10_000, start_timeout: float = 600.0,
                 allow_federated: bool = False, cache_bytes: int = CACHE_BYTES) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.graph_dir, self.backend = str(graph_dir), backend
        self.allow_federated = allow_federated
        self.cache_bytes = max(0, cache_bytes)
        self._cache: OrderedDict[tuple[str, str, str], Response] = OrderedDict()
        self._cached_bytes = 0
        self._cache_lock = threading.Lock()
        self.timeout, self.max_rows, self.start_timeout = timeout, max_rows, start_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._all: set[_Worker] = set()
        self.triples = 0
        first = self._spawn()  # fail fast (bad graph folder) before listening
        self.triples = first.triples
        self._idle.put(first)
        for _ in range(workers - 1):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.graph_dir, self.backend, self.max_rows, self.start_timeout, self.allow_federated)
        with self._lock:
            if self._closed:
                worker.kill()
                raise RuntimeError("service closed")
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()

        def replace() -> None:
            try:
                self._idle.put(self._spawn())
            except RuntimeError as exc:
                if not self._closed:
                    print(f"kg serve: could not start a query worker: {exc}", file=sys.stderr)

        threading.Thread(target=replace, daemon=True).start()

    def run(self, sparql: str, accept: str | None = None, fmt: str | None = None) -> Response:
        """The cached answer, or run the query on a free worker; 503 when none is free in time or the
        query times out."""
        key = (sparql, accept or "", fmt or "")
        cacheable = self.cache_bytes > 0 and not _UNCACHEABLE.search(sparql)
        if cacheable:
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
        response = self._run(sparql, accept, fmt)
        if cacheable and response.status == 200 and len(response.body) <= self.cache_bytes // 8:
            with self._cache_lock:
                if key not in self._cache:
                    self._cache[key] = response
                    self._cached_bytes += len(response.body) + len(sparql)
                    while self._cached_bytes > self.cache_bytes:
                        (old_sparql, _, _), old = self._cache.popitem(last=False)
                        self._cached_bytes -= len(old.body) + len(old_sparql)
        return response

    def _run(self, sparql: str, accept: str | None, fmt: str | None) -> Response:
        started = time.monotonic()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return Response.error(503, f"all query workers are busy; try again (waited {self.timeout:g} s)")
        try:
            worker.send((sparql, accept, fmt))
            remaining = max(0.05, self.timeout - (time.monotonic() - started))
            if not worker.poll(remaining):
                self._retire(worker)
                return Response.error(503, f"query timed out: stopped after {self.timeout:g} s; "
                                           "narrow it or add a LIMIT")
            status, content_type, body = worker.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._retire(worker)
            return Response.error(500, f"the query worker died ({type(exc).__name__}); it has been replaced")
        self._idle.put(worker)
        return Response(status, content_type, body)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()


# --------------------------------------------------------------------------- HTTP

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>paperkg SPARQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style nonce="{nonce}">
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }}
textarea {{ width: 100%; height: 14em; font: 13px/1.35 ui-monospace, monospace; }}
table {{ border-collapse: collapse; margin-top: 1em; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; text-align: left; }}
th {{ background: #f3f3f3; }}
#status {{ margin-left: 1em; color: #555; }} .error {{ color: #b00; white-space: pre-wrap; }}
pre {{ white-space: pre-wrap; font-size: 12px; }}
</style></head>
<body>
<h1>paperkg SPARQL endpoint</h1>
<p>{description} Endpoint: <code>{endpoint}</code> (SPARQL 1.1 Protocol, read-only; prefixes
{prefixes} are bound).</p>
<form id="form">
<label>Example: <select id="examples"><option value="">choose a named query...</option>{options}</select></label>
<textarea id="query" name="query" spellcheck="false">{default}</textarea>
<p><label>Results as <select id="format">
<option value="table">table</option><option value="json">SPARQL JSON</option>
<option value="xml">SPARQL XML</option><option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="turtle">Turtle (CONSTRUCT)</option></select></label>
<button type="submit" id="run">Run query</button><span id="status"></span></p>
</form>
<div id="out"></div>
<script type="application/json" id="named">{named}</script>
<script nonce="{nonce}">
(function () {{
  "use strict";
  var named = JSON.parse(document.getElementById("named").textContent);
  var form = document.getElementById("form"), query = document.getElementById("query");
  var out = document.getElementById("out"), status = document.getElementById("status");
  document.getElementById("examples").addEventListener("change", function (e) {{
    if (e.target.value && named[e.target.value] !== undefined) {{ query.value = named[e.target.value]; }}
  }});
  function cell(term) {{
    var td = document.createElement("td");
    if (!term) {{ return td; }}
    if (term.type === "uri") {{
      var a = document.createElement("a"); a.href = term.value; a.textContent = term.value;
      a.rel = "noopener noreferrer"; td.appendChild(a);
    }} else {{
      td.textContent = term.value + (term["xml:lang"] ? "@" + term["xml:lang"] : "");
      if (term.datatype) {{ td.title = term.datatype; }}
    }}
    return td;
  }}
  function table(data) {{
    var t = document.createElement("table"), head = document.createElement("tr");
    data.head.vars.forEach(function (v) {{ var th = document.createElement("th"); th.textContent = v; head.appendChild(th); }});
    t.appendChild(head);
    data.results.bindings.forEach(function (b) {{
      var tr = document.createElement("tr");
      data.head.vars.forEach(function (v) {{ tr.appendChild(cell(b[v])); }});
      t.appendChild(tr);
    }});
    return t;
  }}
  form.addEventListener("submit", function (e) {{
    e.preventDefault();
    var fmt = document.getElementById("format").value;
    var accept = {{table: "application/sparql-results+json, text/turtle;q=0.9", json: "application/sparql-results+json",
      xml: "application/sparql-results+xml", csv: "text/csv", tsv: "text/tab-separated-values",
      turtle: "text/turtle"}}[fmt];
    status.textContent = "running..."; out.textContent = "";
    var started = performance.now();
    fetch("sparql", {{method: "POST", headers: {{"Content-Type": "application/sparql-query", "Accept": accept}},
                      body: query.value}}).then(function (r) {{
      return r.text().then(function (text) {{ return {{ok: r.ok, status: r.status, type: r.headers.get("Content-Type") || "", text: text}}; }});
    }}).then(function (r) {{
      var ms = Math.round(performance.now() - started);
      if (!r.ok) {{
        status.textContent = "HTTP " + r.status + " (" + ms + " ms)";
        var p = document.createElement("p"); p.className = "error"; p.textContent = r.text; out.appendChild(p); return;
      }}
      if (fmt === "table" && r.type.indexOf("application/sparql-results+json") === 0) {{
        var data = JSON.parse(r.text);
        if (data.boolean !== undefined) {{ out.textContent = String(data.boolean); status.textContent = ms + " ms"; return; }}
        status.textContent = data.results.bindings.length + " rows, " + ms + " ms";
        out.appendChild(table(data));
      }} else {{
        status.textContent = ms + " ms";
        var pre = document.createElement("pre"); pre.textContent = r.text; out.appendChild(pre);
      }}
      window.lastResult = r;
    }}).catch(function (err) {{ status.textContent = "request failed: " + err; }});
  }});
  window.ready = true;
}})();
</script>
</body></html>
"""

_DEFAULT_QUERY = """SELECT ?paper ?title WHERE {
  ?paper a kg:Paper ; dcterms:title ?title .
}
ORDER BY ?title
LIMIT 20"""


def _page(endpoint: str, triples: int, nonce: str) -> bytes:
    from .store import list_named_queries, load_named_query

    named = {}
    options = []
    for name, description in list_named_queries().items():
        named[name] = load_named_query(name)
        options.append(f'<option value="{html.escape(name)}" title="{html.escape(description)}">'
                       f"{html.escape(name)}</option>")
    # JSON inside <script>: escape <, >, & so no text can close the element.
    named_json = (json.dumps(named, ensure_ascii=False).replace("&", "\\u0026").replace("<", "\\u003c")
                  .replace(">", "\\u003e"))
    return _PAGE.format(
        nonce=nonce, endpoint=html.escape(endpoint), options="".join(options), named=named_json,
        default=html.escape(_DEFAULT_QUERY), prefixes=html.escape(", ".join(p for p in PREFIXES)),
        description=html.escape(f"A paperkg knowledge graph of {triples:,} triples."),
    ).encode("utf-8")


_SERVICE_DESCRIPTION = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix formats: <http://www.w3.org/ns/formats/> .

[] a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
        formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:JSON-LD, formats:RDF_XML ;
    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ; sd:name <""" + BASE + """> ] ] .
"""


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "paperkg-sparql/0.1"
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write: wfile is buffered (flushed after each request) and
    # TCP_NODELAY is set. Written apart, the body waited for the client's delayed ACK of the headers
    # (Nagle's algorithm): about 40 ms on every keep-alive request.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    # -- plumbing
    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # a socket timeout: silent clients are dropped
        super().setup()

    def handle_expect_100(self) -> bool:
        ok = super().handle_expect_100()
        self.wfile.flush()  # the client waits for the 100 before it sends the body
        return ok

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.quiet:
            return
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _cors(self) -> None:
        origin = self.server.allowed_origin(self.headers.get("Origin"))
        if origin is None:
            return
        self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Access-Control-Max-Age", "86400")

    def _send(self, response: Response, extra: dict[str, str] | None = None) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Vary", "Accept, Origin" if self.server.cors_by_origin else "Accept")
        self._cors()
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        self._send(Response.error(status, message), extra)

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked" or length is None:
            self._error(411, "a Content-Length header is required")
            self.close_connection = True
            return None
        try:
            n = int(length)
        except ValueError:
            n = -1
        if n < 0:  # rfile.read(-1) would wait for the client to close, read(-5) raise
            self._error(400, f"bad Content-Length: {length.strip()[:40]!r}")
            self.close_connection = True
            return None
        if n > MAX_BODY:
            self._error(413, f"request body over {MAX_BODY} bytes")
            self.close_connection = True
            return None
        return self.rfile.read(n)

    # -- methods
    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Allow", "GET, POST, OPTIONS")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            nonce = secrets.token_urlsafe(16)
            body = _page(self.server.endpoint, self.server.service.triples, nonce)
            csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                   "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
            self._send(Response(200, "text/html; charset=utf-8", body), {"Content-Security-Policy": csp})
            return
        if url.path != "/sparql":
            self._error(404, f"not found: {url.path}; the SPARQL endpoint is /sparql, a query page is at /")
            return
        try:
            params = parse_qs(url.query, keep_blank_values=True, strict_parsing=False, max_num_fields=100)
        except ValueError as exc:
            self._error(400, f"bad query string: {exc}")
            return
        self._protocol(params)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()  # read it first: the connection stays usable whatever the answer
        if body is None:
            return
        if url.path != "/sparql":
            self._error(404, f"not found: {url.path}; the SPARQL endpoint is /sparql")
            return
        media = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            params = parse_qs(url.query, keep_blank_values=True, max_num_fields=100)
            if media == "application/x-www-form-urlencoded":
                for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100).items():
                    params.setdefault(k, []).extend(v)
            elif media == "application/sparql-query":
                if "query" in params:
                    self._error(400, "give the query either in the body or as a parameter, not both")
                    return
                params["query"] = [body.decode("utf-8")]
            elif media == "application/sparql-update":
                self._refuse_update()
                return
            else:
                self._error(415, "POST a query as application/x-www-form-urlencoded (query=...) or "
                                 "application/sparql-query")
                return
        except (UnicodeDecodeError, ValueError) as exc:
            self._error(400, f"bad request body: {exc}")
            return
        self._protocol(params)

    def _refuse_update(self) -> None:
        self._error(403, "this SPARQL endpoint is read-only: updates are refused")

    def _protocol(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            self._refuse_update()
            return
        if "query" not in params:
            if self.command in ("GET", "HEAD"):
                text = _SERVICE_DESCRIPTION.format(endpoint=self.server.endpoint)
                self._send(Response(200, "text/turtle; charset=utf-8", text.encode("utf-8")))
            else:
                self._error(400, "missing 'query' parameter")
            return
        if len(params["query"]) != 1:
            self._error(400, "give exactly one 'query'")
            return
        graphs = [g for k in ("default-graph-uri", "named-graph-uri") for g in params.get(k, []) if g.strip()]
        if graphs:
            self._error(400, "this endpoint has one default graph; default-graph-uri / named-graph-uri are not supported")
            return
        sparql = params["query"][0]
        if not sparql.strip():
            self._error(400, "empty query")
            return
        try:  # before any worker sees it (the worker checks again)
            check_query(sparql, allow_federated=self.server.service.allow_federated)
        except UpdateRefused:
            self._refuse_update()
            return
        except QueryError as exc:
            self._error(400, str(exc))
            return
        fmt = next((params[k][0] for k in ("format", "output") if params.get(k) and params[k][0].strip()), None)
        self._send(self.server.service.run(sparql, self.headers.get("Accept"), fmt))

    def _not_allowed(self) -> None:
        self._error(405, "only GET, POST and OPTIONS; this endpoint is read-only", {"Allow": "GET, POST, OPTIONS"})

    do_PUT = do_DELETE = do_PATCH = _not_allowed


_ORIGIN = re.compile(r"https?://[^/\s?#]+")


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server: a ThreadingHTTPServer whose requests run on a QueryService.

    `cors_origins`: origins (scheme://host[:port], or "*" for any) whose web pages may read the
    answers; none by default. `request_timeout`: seconds a connection may stay silent.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], service: QueryService, *, quiet: bool = False,
                 cors_origins: tuple[str, ...] | list[str] = (), request_timeout: float = REQUEST_TIMEOUT) -> None:
        bad = [o for o in cors_origins if o != "*" and not _ORIGIN.fullmatch(o)]
        if bad:
            raise ValueError(f"not an origin (scheme://host[:port] or *): {bad[0]!r}")
        if request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        self.service, self.quiet = service, quiet
        self.cors_origins = frozenset(o.rstrip("/").lower() for o in cors_origins)
        self.cors_by_origin = bool(self.cors_origins) and "*" not in self.cors_origins
        self.request_timeout = request_timeout
        self._serving = False
        super().__init__(address, _Handler)
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        self.url = f"http://{shown}:{port}/sparql"
        self.endpoint = self.url

    def allowed_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a request from `origin`, or None (no CORS header)."""
        if "*" in self.cors_origins:
            return "*"
        if origin and origin.strip().rstrip("/").lower() in self.cors_origins:
            return origin.strip()
        return None

    def close(self) -> None:
        """Stop serving (when serve_forever runs in another thread) and stop the workers."""
        if self._serving:
            self.shutdown()
        self.server_close()
        self.service.close()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Handle requests until shutdown()."""
        self._serving = True
        try:
            super().serve_forever(poll_interval)
        finally:
            self._serving = False


def make_server(graph_dir: str | Path, *, host: str = "127.0.0.1", port: int = 7878, backend: str = "oxigraph",
                workers: int = 2, timeout: float = 10.0, max_rows: int = 10_000, quiet: bool = False,
                allow_federated: bool = False, cors_origins: tuple[str, ...] | list[str] = (),
                request_timeout: float = REQUEST_TIMEOUT, cache_bytes: int = CACHE_BYTES) -> SparqlServer:
    """A SparqlServer for `graph_dir`, listening (port 0: any free port), workers started; not yet serving.

    `allow_federated`: run SERVICE clauses (the server then makes requests wherever a query says);
    `cors_origins`: see SparqlServer; `cache_bytes`: see QueryService.
    """
    service = QueryService(graph_dir, backend=backend, workers=workers, timeout=timeout, max_rows=max_rows,
                           allow_federated=allow_federated, cache_bytes=cache_bytes)
    try:
        return SparqlServer((host, port), service, quiet=quiet, cors_origins=cors_origins,
                            request_timeout=request_timeout)
    except BaseException:
        service.close()
        raise


def serve(graph_dir: str | Path, **options: Any) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM: one line on stderr, a normal return); see make_server."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    server = None
    try:  # the interrupt may come at any point, even while the workers start
        server = make_server(graph_dir, **options)
        print(f"SPARQL endpoint: {server.url}  (query page: {server.url[:-len('sparql')]}; "
              f"{server.service.triples:,} triples; Ctrl-C stops)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("kg serve: stopped", file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.server_close()
            server.service.close()


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        _worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "federated")
    else:
        sys.exit("usage: kg serve --graph DIR (this module's own entry point is for its worker processes)")
