"""`kg serve`: the SPARQL 1.1 Protocol endpoint, end to end with SPARQLWrapper against a server started by the
test on a free port of 127.0.0.1 (never anything else)."""
from __future__ import annotations

import csv
import inspect
import io
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.dom.minidom import Document

import pytest
import rdflib

from kg.serve import make_server, negotiate
from kg.store import open_store, run_query
from listener import Listener

SPARQLWrapper = pytest.importorskip("SPARQLWrapper", reason="needs SPARQLWrapper (pip install sparqlwrapper)")
TIMEOUT = 3.0
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # ~10^15 rows on the demo graph
PAPERS = "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }"


@pytest.fixture(scope="module")
def endpoint(demo):
    """`python -m kg serve` on a free port of 127.0.0.1; yields the /sparql URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--graph", str(demo), "--port", "0", "--timeout", str(TIMEOUT),
         "--max-rows", "5000", "--workers", "2", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/sparql)", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(scope="module")
def store(demo):
    return open_store(demo)


def wrapper(url: str, query: str, fmt: str, method: str = "GET"):
    from SPARQLWrapper import SPARQLWrapper as Wrapper

    w = Wrapper(url)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setMethod(method)
    w.setTimeout(60)
    return w


def http(url: str, *, data: bytes | None = None, headers: dict | None = None, method: str | None = None,
         timeout: float = 60):
    """(status, headers, body) of a request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get(url: str, query: str, accept: str | None = None, **params: str):
    qs = urllib.parse.urlencode({"query": query, **params})
    return http(f"{url}?{qs}", headers={"Accept": accept} if accept else {})


# ----------------------------------------------------------------------------- results with SPARQLWrapper

def test_json_results_match_the_store(endpoint, store):
    from SPARQLWrapper import JSON

    data = wrapper(endpoint, PAPERS, JSON).queryAndConvert()
    assert data["head"]["vars"] == ["n"]
    assert data["results"]["bindings"] == [{"n": {"type": "literal", "value": "482",
                                                  "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    query = "SELECT ?c ?label WHERE { ?c a kg:Dataset ; skos:prefLabel ?label } ORDER BY ?c"
    for method in ("GET", "POST"):
        data = wrapper(endpoint, query, JSON, method).queryAndConvert()
        got = [(b["c"]["value"], b["label"]["value"]) for b in data["results"]["bindings"]]
        assert got == run_query(store, query).rows and len(got) > 50


def test_csv_results_match_the_store(endpoint, store):
    from SPARQLWrapper import CSV

    from kg.store import load_named_query

    text = load_named_query("top-datasets")
    raw = wrapper(endpoint, text, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    expected = run_query(store, text)
    assert rows[0] == expected.columns == ["concept", "label", "used", "papers"]
    assert [tuple(r) for r in rows[1:]] == expected.rows and len(rows) == 26


def test_xml_tsv_and_post_directly(endpoint):
    from SPARQLWrapper import JSON, POSTDIRECTLY, TSV, XML

    doc = wrapper(endpoint, PAPERS, XML).queryAndConvert()
    assert isinstance(doc, Document)
    assert doc.getElementsByTagName("literal")[0].firstChild.data == "482"
    tsv = wrapper(endpoint, PAPERS, TSV).queryAndConvert().decode("utf-8")
    assert tsv.splitlines() == ["?n", '"482"^^<http://www.w3.org/2001/XMLSchema#integer>']
    w = wrapper(endpoint, PAPERS, JSON, "POST")
    w.setRequestMethod(POSTDIRECTLY)  # body: application/sparql-query
    assert w.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == "482"
    ask = wrapper(endpoint, "ASK { ?p a kg:Paper }", JSON).queryAndConvert()
    assert ask == {"head": {}, "boolean": True}


def test_construct_by_content_negotiation(endpoint):
    from SPARQLWrapper import TURTLE

    query = "CONSTRUCT { ?c skos:prefLabel ?l } WHERE { ?c a kg:Dataset ; skos:prefLabel ?l }"
    graph = wrapper(endpoint, query, TURTLE).queryAndConvert()
    turtle = graph if isinstance(graph, rdflib.Graph) else rdflib.Graph().parse(data=graph, format="turtle")
    assert len(turtle) > 50
    status, headers, body = get(endpoint, query, "application/n-triples")
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
    assert len(rdflib.Graph().parse(data=body.decode(), format="nt")) == len(turtle)
    status, headers, body = get(endpoint, query, "application/ld+json")
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")
    assert len(rdflib.Graph().parse(data=body.decode(), format="json-ld")) == len(turtle)
    status, _, body = get(endpoint, query, format="turtle")
    assert status == 200 and len(rdflib.Graph().parse(data=body.decode(), format="turtle")) == len(turtle)


# ----------------------------------------------------------------------------- read-only

def test_updates_are_refused_and_never_run(endpoint, store):
    from SPARQLWrapper import JSON, POST

    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
    w = wrapper(endpoint, insert, JSON, POST)  # SPARQLWrapper sends update=... for an update
    with pytest.raises(urllib.error.HTTPError) as info:
        w.query()
    assert info.value.code == 403 and b"read-only" in info.value.read()
    status, _, body = http(endpoint, data=insert.encode(), headers={"Content-Type": "application/sparql-update"})
    assert status == 403
    status, _, body = get(endpoint, "DELETE WHERE { ?s ?p ?o }")  # an update sent as a query
    assert status == 403 and b"read-only" in body
    status, _, body = http(endpoint, data=urllib.parse.urlencode({"update": "DROP ALL"}).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    status, _, body = get(endpoint, "ASK { <http://example.org/s> ?p ?o }", "application/sparql-results+json")
    assert json.loads(body)["boolean"] is False
    status, _, body = get(endpoint, PAPERS, "text/csv")
    assert body.decode().split() == ["n", "482"]
    assert http(endpoint, data=b"x", method="PUT", headers={"Content-Type": "text/turtle"})[0] == 405


# ----------------------------------------------------------------------------- timeouts and limits

def test_a_slow_query_is_stopped_while_others_are_answered(endpoint):
    answers: dict = {}

    def slow() -> None:
        started = time.monotonic()
        answers["slow"] = get(endpoint, SLOW)
        answers["slow_s"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)  # the slow query is running on one worker
    for _ in range(5):
        started = time.monotonic()
        status, _, body = get(endpoint, PAPERS, "text/csv")
        assert status == 200 and body.decode().split() == ["n", "482"]
        assert time.monotonic() - started < TIMEOUT
    thread.join(30)
    status, headers, body = answers["slow"]
    assert status == 503 and b"timed out" in body and headers["Content-Type"].startswith("text/plain")
    assert TIMEOUT - 0.5 < answers["slow_s"] < TIMEOUT + 5
    for _ in range(3):  # the server goes on (the stopped worker is replaced)
        assert get(endpoint, PAPERS, "text/csv")[0] == 200


def test_result_limit(endpoint):
    status, _, body = get(endpoint, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 400 and b"more than 5000 rows" in body
    status, _, body = get(endpoint, "SELECT * WHERE { ?s ?p ?o } LIMIT 5000", "text/csv")
    assert status == 200 and len(body.decode().splitlines()) == 5001


# ----------------------------------------------------------------------------- protocol details

def test_errors_are_clear(endpoint):
    status, headers, body = get(endpoint, "SELECT ?s WHERE { ?s ?p ")
    assert status == 400 and b"syntax" in body.lower() and headers["Content-Type"].startswith("text/plain")
    assert get(endpoint, PAPERS, "image/png")[0] == 406
    assert get(endpoint, PAPERS, format="turtle")[0] == 406  # a SELECT has no Turtle form
    assert http(endpoint, data=b"query=x", headers={"Content-Type": "text/plain"})[0] == 415
    assert http(endpoint.replace("/sparql", "/nope"))[0] == 404
    assert http(endpoint + "?query=")[0] == 400
    status, headers, body = http(endpoint)  # no query: the service description
    assert status == 200 and b"sd:Service" in body


PREFLIGHT = {"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def test_no_cors_by_default(endpoint):
    """Without --cors-origin no web page of another origin may read the answers."""
    status, headers, _ = http(endpoint, method="OPTIONS", headers=PREFLIGHT)
    assert status == 204 and "Access-Control-Allow-Origin" not in headers
    qs = urllib.parse.urlencode({"query": PAPERS})
    status, headers, _ = http(f"{endpoint}?{qs}", headers={"Origin": "https://example.org"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


def test_cors_origins_by_option(demo):
    server = make_server(demo, port=0, workers=1, quiet=True, cors_origins=("https://example.org", "http://a.test:8080"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, headers, _ = http(server.url, method="OPTIONS", headers=PREFLIGHT)
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://example.org"
        assert "POST" in headers["Access-Control-Allow-Methods"]
        assert "content-type" in headers["Access-Control-Allow-Headers"].lower()
        qs = urllib.parse.urlencode({"query": PAPERS})
        status, headers, _ = http(f"{server.url}?{qs}", headers={"Origin": "http://a.test:8080"})
        assert headers["Access-Control-Allow-Origin"] == "http://a.test:8080" and "Origin" in headers["Vary"]
        status, headers, _ = http(f"{server.url}?{qs}", headers={"Origin": "https://evil.test"})
        assert status == 200 and "Access-Control-Allow-Origin" not in headers
    finally:
        server.close()
    with pytest.raises(ValueError, match="not an origin"):
        make_server(demo, port=0, workers=1, quiet=True, cors_origins=("example.org/x",))


def test_query_page_is_offline_and_escaped(endpoint):
    status, headers, body = http(endpoint.replace("/sparql", "/"))
    page = body.decode("utf-8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no CDN, nothing remote
    assert "top-datasets" in page and "<script nonce=" in page
    named = re.search(r'<script type="application/json" id="named">(.*?)</script>', page, re.DOTALL).group(1)
    assert "<" not in named and json.loads(named)["top-datasets"].startswith("# description")


def test_defaults_bind_loopback():
    from kg import cli

    assert inspect.signature(make_server).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(cli.serve).parameters["host"].default == "127.0.0.1"


@pytest.mark.parametrize("kind, accept, fmt, expected", [
    ("select", None, None, "application/sparql-results+json"),
    ("select", "*/*", None, "application/sparql-results+json"),
    ("select", "text/csv;q=0.5, application/sparql-results+xml", None, "application/sparql-results+xml"),
    ("select", "text/html,application/xhtml+xml,*/*;q=0.8", None, "application/sparql-results+json"),
    ("select", "application/json", None, "application/sparql-results+json"),
    ("select", "image/png", None, None),
    ("select", "text/csv", "json", "application/sparql-results+json"),
    ("ask", None, "csv", "text/csv"),
    ("graph", None, None, "text/turtle"),
    ("graph", "application/ld+json;q=0.9, text/turtle;q=0.1", None, "application/ld+json"),
    ("graph", "text/plain", None, "application/n-triples"),
    ("graph", None, "json", "application/ld+json"),
    ("graph", None, "xml", "application/rdf+xml"),
    ("graph", None, "csv", None),
])
def test_negotiate(kind, accept, fmt, expected):
    assert negotiate(kind, accept, fmt) == expected


def test_in_process_server_and_browser_page(demo, chromium):
    """The query page in a real browser: run a query, see the table, no foreign requests, no errors."""
    server = make_server(demo, port=0, workers=1, timeout=30, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = chromium.new_page()
        errors: list[str] = []
        foreign: list[str] = []
        base = server.url[: -len("sparql")]
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(base) else None)
        page.goto(base)  # (the page's CSP forbids eval, so no wait_for_function: poll with evaluate)
        for _ in range(100):
            if page.evaluate("window.ready === true"):
                break
            time.sleep(0.05)
        assert page.evaluate("window.ready === true")
        page.fill("#query", 'SELECT ?t WHERE { BIND("<b>not bold</b>" AS ?t) }')
        page.click("#run")
        page.wait_for_selector("table td")
        assert page.inner_text("table td") == "<b>not bold</b>"  # shown as text, not markup
        page.wait_for_selector("#status:has-text('rows')")
        assert page.query_selector("table b") is None
        page.select_option("#examples", "top-datasets")
        page.click("#run")
        page.wait_for_selector("table tr:nth-child(6) td")
        assert errors == [] and foreign == []
        page.close()
    finally:
        server.close()


# ----------------------------------------------------------------------------- no outbound requests (issue 14.2)

def service_queries(url: str) -> list[str]:
    """SERVICE in the forms Oxigraph's parser accepts (its keywords need no word boundary)."""
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ ?s ?p trueSERVICE <{url}> {{}} }}",
        f"SELECT * WHERE {{ ?s ?p 1SERVICE <{url}> {{}} }}",
        f"SELECT * WHERE {{ ?s ?p ?o .SERVICE<{url}>{{}} }}",
        f"PREFIX : <{url}/> SELECT * WHERE {{ SERVICE:x {{}} }}",
        f"SELECT * WHERE {{ ?s ?p ?o # a comment ends at CR\rSERVICE <{url}> {{}} }}",
    ]


def test_federated_queries_are_refused_and_nothing_connects(endpoint):
    with Listener() as target:
        for query in service_queries(target.url):
            status, headers, body = get(endpoint, query)
            assert status == 400 and b"federated" in body, (query, status, body)
            status, _, body = http(endpoint, data=query.encode(), headers={"Content-Type": "application/sparql-query"})
            assert status == 400 and b"federated" in body
        assert not target.connected()  # no connection ever reached the listener
    assert get(endpoint, "SELECT ?service WHERE { BIND('SERVICE <x>' AS ?service) } # SERVICE")[0] == 200


def test_federated_queries_by_option_and_cli_flags(demo):
    """`kg serve --allow-federated --cors-origin O`: SERVICE reaches the listener, O may read answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--graph", str(demo), "--port", "0", "--workers", "1", "--quiet",
         "--timeout", "5", "--allow-federated", "--cors-origin", "https://example.org"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"(http://127\.0\.0\.1:\d+/sparql)", proc.stdout.readline()).group(1)
        with Listener() as target:
            status, _, body = get(url, f"SELECT * WHERE {{ SERVICE <{target.url}> {{ ?s ?p ?o }} }}")
            assert status in (400, 500) and not b"federated queries" in body  # the listener hung up: an error
            for _ in range(50):
                if target.received:
                    break
                time.sleep(0.1)
            assert target.received and target.received[0].startswith(b"POST /sparql")
        status, headers, _ = http(url, method="OPTIONS", headers=PREFLIGHT)
        assert headers["Access-Control-Allow-Origin"] == "https://example.org"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_updates_sent_as_query_get_403(endpoint):
    for update in ("INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }",
                   "PREFIX ex: <http://example.org/>\n# a comment\nDELETE WHERE { ?s ex:p ?o }", "drop all",
                   "LOAD <http://example.org/data.ttl>"):
        assert get(endpoint, update)[0] == 403
        status, _, body = http(endpoint, data=urllib.parse.urlencode({"query": update}).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 403 and b"read-only" in body


# ----------------------------------------------------------------------------- parser limits (issue 14.10)

def test_deep_nesting_and_long_chains_are_refused_before_parsing(endpoint):
    for query in ("SELECT * WHERE " + "{" * 3000 + "}" * 3000,
                  "SELECT * WHERE { ?s ?p " + "[ ?p " * 300 + "1" + " ]" * 300 + " }",
                  "SELECT * WHERE { FILTER(" + "+".join(["1"] * 8000) + ") }"):
        status, _, body = http(endpoint, data=query.encode(), headers={"Content-Type": "application/sparql-query"})
        assert status == 400 and b"the query" in body and (b"deep" in body or b"operators" in body), body[:200]
    assert get(endpoint, "SELECT * WHERE " + "{" * 50 + "}" * 50)[0] == 200


# ----------------------------------------------------------------------------- raw HTTP (issue 14.9)

def _address(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port


def raw(url: str, data: bytes, timeout: float = 20) -> bytes:
    """Send `data` on a new connection; everything the server answers until it closes (or `timeout`)."""
    with socket.create_connection(_address(url), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


@pytest.mark.parametrize("length", ["-5", "-1", "abc", "1e3"])
def test_bad_content_length_gets_400(endpoint, length):
    path = urllib.parse.urlsplit(endpoint).path
    answer = raw(endpoint, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           f"Content-Length: {length}\r\n\r\nASK {{}}".encode())
    assert answer.startswith(b"HTTP/1.1 400 ") and b"Content-Length" in answer, answer[:200]
    assert get(endpoint, PAPERS, "text/csv")[0] == 200  # the server goes on


def test_silent_connections_are_closed(demo):
    """Half-open clients (a partial request line, a partial body, an idle keep-alive) are dropped."""
    server = make_server(demo, port=0, workers=1, quiet=True, request_timeout=0.5)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for data in (b"GET /sparql HT", b"POST /sparql HTTP/1.1\r\nContent-Length: 100\r\n"
                                        b"Content-Type: application/sparql-query\r\n\r\nASK",
                     b""):
            started = time.monotonic()
            answer = raw(server.url, data, timeout=30)  # returns when the server closes
            assert time.monotonic() - started < 25 and b" 200 " not in answer
        with socket.create_connection(_address(server.url), timeout=30) as sock:  # keep-alive, then silence
            qs = urllib.parse.urlencode({"query": "ASK {}"})
            sock.sendall(f"GET /sparql?{qs} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            got = b""
            while chunk := sock.recv(65536):
                got += chunk
            assert got.startswith(b"HTTP/1.1 200 ") and got.endswith(b"true}")
    finally:
        server.close()


def test_listen_backlog_takes_a_burst(demo):
    """60 connections opened at once all complete the handshake before the server accepts any
    (a backlog of 5 left the rest to SYN retries: 1 s, 3 s, ...)."""
    server = make_server(demo, port=0, workers=1, quiet=True)  # listening, not yet serving
    socks = []
    try:
        assert server.request_queue_size >= 128
        for _ in range(60):
            socks.append(socket.create_connection(_address(server.url), timeout=3))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sock = socks[-1]
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        sock.settimeout(30)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in socks:
            sock.close()
        server.close()


TCP_INFO_DATA_SEGS_IN = 152  # offset of tcpi_data_segs_in in Linux's struct tcp_info (since 4.6)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's TCP_INFO")
def test_keep_alive_answers_leave_in_one_segment(endpoint):
    """Headers and body in one write: each small answer arrives as one TCP segment. (Written apart,
    the body waited for the ACK of the headers under Nagle's algorithm: ~40 ms per keep-alive request.)"""
    qs = urllib.parse.urlencode({"query": PAPERS})
    request = f"GET /sparql?{qs} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n".encode()
    with socket.create_connection(_address(endpoint), timeout=30) as sock:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        if len(info) < TCP_INFO_DATA_SEGS_IN + 4:
            pytest.skip("this kernel's TCP_INFO has no tcpi_data_segs_in")
        before = struct.unpack_from("I", info, TCP_INFO_DATA_SEGS_IN)[0]
        n = 20
        for _ in range(n):
            sock.sendall(request)
            got = b""
            while not (got.endswith(b"482\r\n") and b"\r\n\r\n" in got):
                chunk = sock.recv(65536)
                assert chunk, got
                got += chunk
            assert got.startswith(b"HTTP/1.1 200 ") and got.count(b"HTTP/1.1") == 1
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        segments = struct.unpack_from("I", info, TCP_INFO_DATA_SEGS_IN)[0] - before
    assert segments == n, f"{segments} data segments for {n} answers"


# ----------------------------------------------------------------------------- Ctrl-C

def test_ctrl_c_stops_cleanly(demo):
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--graph", str(demo), "--port", "0", "--quiet",
                             "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = re.search(r"(http://127\.0\.0\.1:\d+/sparql)", proc.stdout.readline()).group(1)
    assert get(url, PAPERS, "text/csv")[0] == 200  # serving
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0 and err.strip().splitlines() == ["kg serve: stopped"], (proc.returncode, err)


def test_answers_are_cached_only_when_they_cannot_change(demo):
    """Repeated deterministic queries are answered without a worker; RAND()/NOW()/... never from the cache."""
    from kg.serve import QueryService

    service = QueryService(demo, workers=1, timeout=2)
    rand = "SELECT (RAND() AS ?r) WHERE {}"
    first = service.run(PAPERS, "text/csv")
    assert first.status == 200 and first.body.decode().split() == ["n", "482"]
    assert service.run(rand, "text/csv").status == 200
    assert service.run("SELECT * WHERE { ?s ?p ?o }").status == 400  # an error: not kept
    service.close()  # no worker any more: only cached answers remain
    assert service.run(PAPERS, "text/csv") == first
    assert service.run(PAPERS, "application/sparql-results+json").status != 200  # another format: not cached
    assert service.run(rand, "text/csv").status != 200
