"""Load on `kg serve`: throughput and latency percentiles under concurrent clients, loopback only.

    .venv/bin/kg build --demo --output /tmp/serve-demo --no-html          # once (about 30 s)
    .venv/bin/python bench/serve_load.py --graph /tmp/serve-demo          # 20 clients, 10 s per mode

Starts `python -m kg serve --graph DIR --port 0` on 127.0.0.1, then for each mode runs `--clients`
closed-loop clients (each sends its next request as soon as it has the answer) for `--seconds`:

* keep-alive: one persistent http.client connection per client (HTTP/1.1 keep-alive);
* new-connection: a new TCP connection per request (`Connection: close`).

The clients are threads spread over `--procs` processes, so the clients' own GIL does not cap the
figures. Each mode prints requests per second and p50 / p99 / max latency in milliseconds; every
answer must be 200 with the expected body, or it is counted as an error. `--query` is the SPARQL
sent (default: the number of papers, a simple COUNT; `SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }`
scans every triple, about 55 ms a query on the demo graph); `--vary` appends a distinct comment to each request so no
answer can come from the server's result cache. Figures go to bench/README.md ("SPARQL endpoint load").
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNT_PAPERS = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/paperkg/ontology#Paper> }"


def _client(host: str, port: int, path_for: "callable", keep_alive: bool, deadline: float,
            latencies: list[float], errors: list[str]) -> None:
    """One closed-loop client: requests until `deadline`, appending each latency (seconds)."""
    conn = None
    i = 0
    while time.monotonic() < deadline:
        path = path_for(i)
        i += 1
        started = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request("GET", path, headers={"Accept": "text/csv",
                                               **({} if keep_alive else {"Connection": "close"})})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or not body.startswith(b"n\r\n"):
                errors.append(f"HTTP {response.status}: {body[:80]!r}")
            latencies.append(time.perf_counter() - started)
            if not keep_alive:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


def _process(args: tuple) -> tuple[list[float], list[str]]:
    """In a client process: `threads` clients until `deadline` (a time.time() value)."""
    host, port, query, vary, keep_alive, threads, deadline_wall, seed = args
    deadline = time.monotonic() + (deadline_wall - time.time())

    def path_for(i: int) -> str:
        text = f"{query}\n# {seed}-{i}-{threading.get_ident()}" if vary else query
        return "/sparql?" + urllib.parse.urlencode({"query": text})

    latencies: list[float] = []
    errors: list[str] = []
    workers = [threading.Thread(target=_client, args=(host, port, path_for, keep_alive, deadline, latencies, errors))
               for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return latencies, errors


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_mode(host: str, port: int, *, query: str, vary: bool, keep_alive: bool, clients: int, procs: int,
             seconds: float) -> dict:
    """Load one mode; returns requests/s, p50/p99/max in ms and the errors."""
    procs = max(1, min(procs, clients))
    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    start_in = 1.0  # let every process start before the clock runs
    deadline = time.time() + start_in + seconds
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(procs) as pool:
        parts = pool.map(_process, [(host, port, query, vary, keep_alive, n, deadline, i)
                                    for i, n in enumerate(shares)])
    latencies = [x for lat, _ in parts for x in lat]
    errors = [e for _, errs in parts for e in errs]
    if not latencies:
        return {"requests": 0, "errors": errors}
    return {"requests": len(latencies), "rps": len(latencies) / seconds,
            "p50": 1000 * statistics.median(latencies), "p99": 1000 * _percentile(latencies, 0.99),
            "max": 1000 * max(latencies), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graph", type=Path, default=Path("/tmp/serve-demo"), help="a folder written by kg build")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="per mode")
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="kg serve --workers")
    parser.add_argument("--query", default=COUNT_PAPERS)
    parser.add_argument("--vary", action="store_true", help="a distinct comment per request (no cache hits)")
    parser.add_argument("--modes", default="keep-alive,new-connection")
    parser.add_argument("--server-args", default="", help="extra kg serve arguments")
    parser.add_argument("--server-cwd", type=Path, default=ROOT,
                        help="folder `python -m kg` runs in (a checkout of another version's kg/, to compare)")
    args = parser.parse_args()
    if not (args.graph / "kg.nt").is_file():
        sys.exit(f"{args.graph}: not a built graph; run `kg build --demo --output {args.graph} --no-html` first")
    server = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--graph", str(args.graph), "--port", "0", "--quiet",
         "--workers", str(args.workers), "--timeout", "30", *args.server_args.split()],
        cwd=args.server_cwd, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"http://(127\.0\.0\.1):(\d+)/sparql", line)
        if not match:
            sys.exit(f"kg serve did not start: {line!r}")
        host, port = match.group(1), int(match.group(2))
        warm = http.client.HTTPConnection(host, port, timeout=60)
        warm.request("GET", "/sparql?" + urllib.parse.urlencode({"query": args.query}), headers={"Accept": "text/csv"})
        answer = warm.getresponse()
        print(f"query: {args.query!r}{' (varied)' if args.vary else ''} -> {answer.read().decode().split()!r}; "
              f"{args.clients} clients in {args.procs} processes, {args.seconds:g} s per mode, "
              f"{args.workers} server workers")
        warm.close()
        print(f"{'mode':16} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
        for mode in args.modes.split(","):
            r = run_mode(host, port, query=args.query, vary=args.vary, keep_alive=mode == "keep-alive",
                         clients=args.clients, procs=args.procs, seconds=args.seconds)
            if not r["requests"]:
                print(f"{mode:16} no answers; errors: {r['errors'][:3]}")
                continue
            print(f"{mode:16} {r['requests']:9d} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['max']:8.1f} "
                  f"{len(r['errors']):7d}")
            for e in sorted(set(r["errors"]))[:3]:
                print(f"    error: {e}")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
