"""Speed and memory of the related-work step (kg.related.link_related) as the corpus grows.

    python -m bench.related_speed --records 10000 100000 [--jobs 2] [--cache DIR]

For each size, `../shared/bench/make_corpus.py N` records are built into a graph without related
links (kg.build.build_graph, related_k=0; extraction not timed), then link_related(g, 5) ranks every
paper's five related papers, timed alone (`--cache DIR` keeps the built graphs, pickled, for
the next run). It prints wall time, time per paper, the resident set
before the step (the graph) and its peak during the step (sampled every 50 ms). A near-linear step
keeps time per paper flat as N grows: candidates come from each paper's own terms (a sparse product
over BM25 weights) and from concepts held by at most kg.related.RELATED_MAX_PAPERS papers.
"""
from __future__ import annotations

import argparse
import gc
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _graph(n: int, jobs: int, cache: Path | None):
    from kg.build import build_graph

    cached = cache / f"synthetic-{n}.pickle" if cache else None
    if cached and cached.is_file():
        return pickle.loads(cached.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(n), str(corpus)], check=True, capture_output=True)
        g, report = build_graph([corpus], jobs=jobs, related_k=0)
    if cached:
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps((g, report.papers), protocol=pickle.HIGHEST_PROTOCOL))
    return g, report.papers


def measure(n: int, jobs: int, cache: Path | None = None) -> dict:
    """Build a graph of n synthetic papers, then time link_related on it."""
    from kg.related import link_related

    g, papers = _graph(n, jobs, cache)
    gc.collect()
    before = _rss_mib()
    peak = before
    done = threading.Event()

    def sample() -> None:  # the process's lifetime peak is the build's, so sample during the step
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    link_related(g, 5)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    peak = max(peak, _rss_mib())
    links = sum(1 for _, _, k in g.edges(keys=True) if k == "relatedTo")
    return {"papers": papers, "seconds": round(wall, 1), "ms_per_paper": round(1000 * wall / papers, 2),
            "rss_before_mib": round(before), "peak_rss_mib": round(peak), "links": links}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="+", default=[10000])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=None, help="keep the built graphs here (pickled)")
    args = ap.parse_args(argv)
    for n in args.records:
        r = measure(n, args.jobs, args.cache)
        print(f"{r['papers']} papers: related step {r['seconds']} s ({r['ms_per_paper']} ms/paper), "
              f"{r['links']} links; RSS {r['rss_before_mib']} MiB before, peak {r['peak_rss_mib']} MiB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
