"""Query speed of the named queries: the persisted Oxigraph store vs in-memory Oxigraph vs rdflib.

    python bench/query_speed.py --records 100000            # make a synthetic corpus, build, measure
    python bench/query_speed.py --graph out/ [--reps 7]     # measure an existing build

For each backend it measures opening the graph, the first query, and the median of `--reps` runs of
every named query (ontology/queries/*.rq), in a measuring process (so without Python start-up); a query
with a parameter runs for several values (`--papers` papers drawn with seed 0; datasets from the most to
the least used) and reports the median, p90 and max of the per-value medians:
oxigraph-disk is what `kg query` uses (the persisted store, parameterless named queries answered from
the results materialised at build time), oxigraph-disk-computed the same store computing every query,
oxigraph-memory kg.nt parsed into an in-memory Oxigraph, rdflib kg.nt parsed into rdflib. Then the wall
time of whole `kg query NAME` processes against the persisted store, and the start-up of a bare
`python -c "import kg.cli"` for comparison. Figures go to bench/README.md ("## Query speed").
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"


def _params(store, n_papers: int) -> dict[str, list[dict[str, str]]]:
    """Parameter sets per query: `n_papers` papers drawn with a fixed seed (the paper queries' cost
    depends on how popular the paper's concepts are), and datasets from the most to the least used."""
    import random

    from kg.store import run_query

    papers = [r[0] for r in run_query(store, "SELECT ?p WHERE { ?p a kg:Paper } ORDER BY STR(?p)").rows]
    sample = random.Random(0).sample(papers, min(n_papers, len(papers)))
    top = [r[1] for r in run_query(store, "top-datasets").rows]  # the labels
    datasets = list(dict.fromkeys(["ImageNet", *top[:4], *top[-2:]]))
    paper_sets = [{"paper": p} for p in sample]
    return {"papers-using-dataset": [{"dataset": d} for d in datasets], "concepts-proposed-by": paper_sets,
            "papers-sharing-concepts": paper_sets}


def _time(fn) -> tuple[float, object]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def _child(graph: Path, backend: str, reps: int, params: dict, names: list[str]) -> None:
    """In a child process: open the store, then print one JSON line per measurement as it completes."""
    from kg.store import OxigraphStore, open_store, register_backend, run_query

    def computed(path: Path) -> OxigraphStore:  # the persisted store, every query computed
        store = OxigraphStore.open_persisted(path)
        store.use_materialized = False
        return store

    register_backend("oxigraph-disk-computed", computed)
    open_s, store = _time(lambda: open_store(graph, backend=backend))
    first_s, _ = _time(lambda: run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }"))
    print(json.dumps({"open_s": open_s, "first_query_s": first_s, "triples": len(store)}), flush=True)
    for name in names:
        medians, rows = [], []
        for param in params.get(name) or [None]:
            times = []
            for _ in range(reps):
                t, result = _time(lambda: run_query(store, name, param))
                times.append(t)
            medians.append(1000 * statistics.median(times))
            rows.append(len(result))
        medians.sort()
        print(json.dumps({"query": name, "median_ms": statistics.median(medians), "min_ms": medians[0],
                          "p90_ms": medians[int(0.9 * (len(medians) - 1))], "max_ms": medians[-1],
                          "params": len(medians), "rows": int(statistics.median(rows))}), flush=True)


def measure_backend(graph: Path, backend: str, reps: int, params: dict, timeout: float, memory_gb: float,
                    max_restarts: int = 2) -> dict:
    """Measurements of one backend in child processes: a query past `timeout` seconds (per run) or over
    `memory_gb` is recorded as such and skipped, and a fresh child goes on with the rest."""
    import resource
    import selectors

    from kg.store import list_named_queries

    def limit_memory() -> None:
        cap = int(memory_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    out: dict = {"backend": backend, "queries": {}}
    most = max((len(v) for v in params.values()), default=1)  # parameter sets of one query
    todo = list(list_named_queries())
    restarts = 0
    while todo:
        if restarts > max_restarts or (restarts and "open_s" not in out):
            for name in todo:
                out["queries"][name] = {"median_ms": None, "note": "not run (earlier queries were stopped)"}
            break
        restarts += 1
        args = [sys.executable, __file__, "--child", backend, "--graph", str(graph), "--reps", str(reps),
                "--params", json.dumps(params), "--names", ",".join(todo)]
        child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT, preexec_fn=limit_memory)
        sel = selectors.DefaultSelector()
        sel.register(child.stdout, selectors.EVENT_READ)
        deadline_for = lambda: time.monotonic() + (600 if "open_s" not in out else timeout * reps * most)
        deadline = deadline_for()
        while True:
            if not sel.select(max(0.0, deadline - time.monotonic())):
                child.kill()
                name = todo.pop(0)
                out["queries"][name] = {"median_ms": None, "note": f"over {timeout:g} s: stopped"}
                break
            line = child.stdout.readline()
            if not line:
                child.wait()
                if todo:
                    name = todo.pop(0)
                    out["queries"][name] = {"median_ms": None, "note": f"failed (exit {child.returncode}; "
                                                                       f"memory cap {memory_gb:g} GiB?)"}
                break
            record = json.loads(line)
            if "query" in record:
                out["queries"][record.pop("query")] = record
                todo.pop(0)
            else:
                out.update({k: v for k, v in record.items() if k not in out})
            deadline = deadline_for()
        child.stdout.close()
    return out


def measure_cli(graph: Path, reps: int, params: dict) -> dict:
    from kg.store import list_named_queries

    py = sys.executable
    base = []
    for _ in range(reps):
        t, _ = _time(lambda: subprocess.run([py, "-c", "import kg.cli, pyoxigraph"], check=True, cwd=ROOT))
        base.append(t)
    out = {"python_import_kg_cli_s": statistics.median(base), "kg_query_s": {}}
    for name in list_named_queries():
        args = [py, "-m", "kg", "query", name, "--graph", str(graph), "--format", "csv"]
        for k, v in ((params.get(name) or [{}])[0]).items():
            args += ["--param", f"{k}={v}"]
        times = []
        for _ in range(reps):
            t, _ = _time(lambda: subprocess.run(args, check=True, capture_output=True, cwd=ROOT))
            times.append(t)
        out["kg_query_s"][name] = statistics.median(times)
    return out


def first_query_fresh_process(graph: Path) -> float:
    """Seconds to open the persisted store and answer a first query in a new process (imports done)."""
    code = ("import time, sys; from kg.store import open_store, run_query; t = time.perf_counter(); "
            f"s = open_store({str(graph)!r}); assert s.persisted; "
            "run_query(s, 'top-datasets'); print(time.perf_counter() - t)")
    run = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return float(run.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--graph", type=Path, help="an existing build folder")
    ap.add_argument("--records", type=int, help="make a synthetic corpus of this many records and build it")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/paperkg-bench"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--rdflib-reps", type=int, default=3)
    ap.add_argument("--papers", type=int, default=20, help="papers sampled (seed 0) for the paper queries")
    ap.add_argument("--no-rdflib", action="store_true", help="skip rdflib (slow and memory-hungry when big)")
    ap.add_argument("--backends", help="comma-separated backends to measure (default: all)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--query-timeout", type=float, default=60.0, help="seconds one query may take")
    ap.add_argument("--memory-gb", type=float, default=12.0, help="memory cap of a measuring process")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    ap.add_argument("--names", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.graph, args.child, args.reps, json.loads(args.params), args.names.split(","))
        return 0

    from kg.store import persist_store, store_status

    figures: dict = {}
    if args.records:
        args.workdir.mkdir(parents=True, exist_ok=True)
        corpus = args.workdir / f"corpus-{args.records}.jsonl"
        if not corpus.exists():
            subprocess.run([sys.executable, str(MAKE_CORPUS), str(args.records), str(corpus)], check=True)
        graph = args.graph or args.workdir / f"graph-{args.records}"
        from kg.build import build

        t, (_, report) = _time(lambda: build([corpus], graph, jobs=args.jobs, html=False))
        figures["build"] = {"records": args.records, "papers": report.papers, "seconds": t}
        print(f"built {report.papers} papers from {args.records} records in {t:.1f} s", flush=True)
    elif args.graph:
        graph = args.graph
    else:
        ap.error("give --graph or --records")
    if store_status(graph) != "current" or "build" not in figures:
        t, _ = _time(lambda: persist_store(graph))
        figures["persist_store_s"] = t
        print(f"persisted the store in {t:.2f} s", flush=True)
    figures["kg_nt_bytes"] = (graph / "kg.nt").stat().st_size if (graph / "kg.nt").exists() else None
    figures["store_bytes"] = sum(p.stat().st_size for p in (graph / "store").rglob("*") if p.is_file())

    from kg.store import open_store

    params = _params(open_store(graph, backend="oxigraph-disk"), args.papers)
    figures["params"] = params
    backends = ["oxigraph-disk", "oxigraph-disk-computed", "oxigraph-memory"] + ([] if args.no_rdflib else ["rdflib"])
    if args.backends:
        backends = [b for b in backends if b in args.backends.split(",")]
    figures["backends"] = []
    for backend in backends:
        reps = args.rdflib_reps if backend == "rdflib" else args.reps
        result = measure_backend(graph, backend, reps, params, args.query_timeout, args.memory_gb)
        figures["backends"].append(result)
        if "open_s" in result:
            print(f"\n{backend}: {result['triples']:,} triples; open {result['open_s']:.3f} s, "
                  f"first query {1000 * result['first_query_s']:.1f} ms", flush=True)
        for name, q in sorted(result["queries"].items()):
            if q.get("median_ms") is None:
                print(f"  {name:26s} {q['note']}", flush=True)
            else:
                print(f"  {name:26s} median {q['median_ms']:9.1f} ms  (p90 {q['p90_ms']:.1f}, max {q['max_ms']:.1f}"
                      f" over {q['params']} parameters; median {q['rows']} rows)", flush=True)
    figures["fresh_process_open_and_first_query_s"] = first_query_fresh_process(graph)
    print(f"\nfresh process: open persisted store + first named query: "
          f"{figures['fresh_process_open_and_first_query_s']:.3f} s", flush=True)
    figures["cli"] = measure_cli(graph, 3, params)
    print(f"python -c 'import kg.cli, pyoxigraph': {figures['cli']['python_import_kg_cli_s']:.2f} s", flush=True)
    for name, t in figures["cli"]["kg_query_s"].items():
        print(f"  kg query {name:26s} {t:.2f} s wall", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
