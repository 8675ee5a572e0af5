"""One build in this process, with each stage's seconds and the build process's peak RSS when it ended.

    python -m bench.build_stages /tmp/bs100k/base.jsonl /tmp/w100 --cache /tmp/bs100k/graph/.cache/extractions.sqlite

With `--cache` pointing at the extraction cache of an earlier build of the same records (and code),
every paper's entities come from it, so the figures are those of the stages after extraction, where
the build process's memory peaks (resolution, the graph, related work, the RDF). The peak is the
kernel's max RSS of this process (kg.build's StageTime.peak_mib): extraction workers and the store
loader are their own processes and not counted; `bench/build_speed.py` measures the whole tree.
Figures go to bench/README.md ("## Build (end to end)").
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from kg.build import build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", type=Path, help="records to build (any format kg build reads)")
    ap.add_argument("out", type=Path, help="output folder (replaced)")
    ap.add_argument("--cache", type=Path, help="extraction cache file (default: OUT/.cache/extractions.sqlite)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    started = time.perf_counter()
    _, report = build([args.input], args.out, jobs=args.jobs, html=False,
                      cache=args.cache if args.cache else True)
    print(f"wall clock {time.perf_counter() - started:.1f} s, {report.papers} papers, "
          f"{report.extraction_cached} extractions from the cache")
    for stage, timing in report.timings.items():
        print(f"  {stage:<22} {timing.seconds:8.2f} s   peak {timing.peak_mib:6d} MiB")


if __name__ == "__main__":
    main()
