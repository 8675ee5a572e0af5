"""Upload a built graph to a triple store with the SPARQL 1.1 Graph Store HTTP Protocol.

`push` sends DIR/kg.nt (else kg.ttl) to a Graph Store Protocol endpoint: PUT replaces the target graph,
POST adds to it. The target is the default graph (`?default`) or a named graph (`?graph=IRI`).
The file is streamed, never held in memory. Works with Oxigraph (`/store`), Fuseki (`/DATASET/data`),
GraphDB (`/repositories/REPO/rdf-graphs/service`), Blazegraph and others.

Examples
--------
With a triple store listening (here `oxigraph serve`; tests/test_push.py runs this against a real one):

>>> push("out", "http://localhost:7878/store", graph_iri="https://w3id.org/paperkg/")  # doctest: +SKIP
PushResult(url='http://localhost:7878/store?graph=https%3A%2F%2Fw3id.org%2Fpaperkg%2F', method='PUT', status=201, ...)
"""
from __future__ import annotations

import base64
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["PushError", "PushResult", "graph_store_url", "push"]

_CONTENT_TYPES = {".nt": "application/n-triples", ".ttl": "text/turtle"}


class PushError(Exception):
    """The upload failed: bad endpoint, unreachable server or an HTTP error (status and body given)."""


@dataclass(frozen=True)
class PushResult:
    """What was sent where, and the server's answer."""

    url: str
    method: str
    status: int
    source: Path
    bytes: int
    seconds: float
    response: str


def graph_store_url(endpoint: str, graph_iri: str | None = None) -> str:
    """The Graph Store Protocol URL of the target graph: endpoint?default or endpoint?graph=IRI (escaped)."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushError(f"endpoint must be an http(s) URL, got {endpoint!r}")
    target = "default" if graph_iri is None else "graph=" + quote(graph_iri, safe="")
    if graph_iri is not None and not urlsplit(graph_iri).scheme:
        raise PushError(f"graph IRI must be absolute (e.g. https://w3id.org/paperkg/), got {graph_iri!r}")
    query = f"{parts.query}&{target}" if parts.query else target
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def _source(graph: str | Path) -> Path:
    path = Path(graph)
    if path.is_dir():
        for name in ("kg.nt", "kg.ttl"):
            if (path / name).is_file():
                return path / name
        raise PushError(f"no kg.nt or kg.ttl in {path} (build one with `kg build INPUT --output {path}`)")
    if path.is_file() and path.suffix in _CONTENT_TYPES:
        return path
    raise PushError(f"not a graph folder or a .nt/.ttl file: {path}")


def push(graph: str | Path, endpoint: str, *, graph_iri: str | None = None, method: str = "PUT",
         user: str | None = None, password: str | None = None, timeout: float = 600.0) -> PushResult:
    """Upload the graph to a SPARQL 1.1 Graph Store HTTP Protocol endpoint.

    Parameters
    ----------
    graph : a graph folder written by `kg build` (kg.nt is sent, else kg.ttl) or a .nt / .ttl file.
    endpoint : the store's Graph Store Protocol URL, e.g. http://localhost:7878/store (Oxigraph),
        http://localhost:3030/ds/data (Fuseki).
    graph_iri : the named graph to write; None for the default graph.
    method : "PUT" (replace the graph's content) or "POST" (add to it).
    user, password : HTTP basic authentication (password also read from $KG_PUSH_PASSWORD).
    timeout : seconds to wait for the server.

    Returns
    -------
    PushResult with the URL, status and the server's response text.

    Raises
    ------
    PushError on a bad argument, a connection failure or a non-2xx answer.
    """
    method = method.upper()
    if method not in ("PUT", "POST"):
        raise PushError(f"method must be PUT (replace) or POST (add), got {method!r}")
    source = _source(graph)
    url = graph_store_url(endpoint, graph_iri)
    size = source.stat().st_size
    headers = {"Content-Type": _CONTENT_TYPES[source.suffix] + ("; charset=utf-8" if source.suffix == ".ttl" else ""),
               "Content-Length": str(size), "User-Agent": "paperkg-push/0.1"}
    password = password if password is not None else os.environ.get("KG_PUSH_PASSWORD")
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    started = time.perf_counter()
    with source.open("rb") as body:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, text = answer.status, answer.read(64 * 1024).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            detail = exc.read(4096).decode("utf-8", "replace").strip()
            raise PushError(f"{method} {url} failed: HTTP {exc.code} {exc.reason}"
                            + (f": {detail}" if detail else "")) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PushError(f"cannot reach {url}: {reason}") from exc
    return PushResult(url, method, status, source, size, time.perf_counter() - started, text)
