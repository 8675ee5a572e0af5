"""Time the RDF export (kg.rdf.write_rdf) of a built graph, per format and evidence level, and print
the triples and bytes per paper each level writes.

    .venv/bin/python -m bench.rdf_speed /tmp/o                      # a folder `kg build` wrote
    .venv/bin/python -m bench.rdf_speed /tmp/o --levels all --repeat 3

The graph is read once from DIR/kg.nt; each export goes to a scratch folder that is removed after.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from kg.rdf import EVIDENCE_LEVELS, FORMATS, read_rdf, write_rdf


def main() -> None:
    """Parse arguments, export, print one line per (level, format) and a per-paper summary per level."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", type=Path, help="folder written by kg build")
    ap.add_argument("--levels", default=",".join(EVIDENCE_LEVELS), help="evidence levels to export")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is printed")
    args = ap.parse_args()
    t = time.perf_counter()
    g = read_rdf(args.graph / "kg.nt")
    papers = sum(1 for _, d in g.nodes(data=True) if d.get("kind") == "Paper")
    print(f"read {args.graph / 'kg.nt'}: {papers} papers, {time.perf_counter() - t:.2f} s")
    for level in args.levels.split(","):
        best_all = min(_timed(g, tuple(FORMATS), level) for _ in range(args.repeat))
        print(f"{level:5s} all three formats: {best_all[0]:.2f} s")
        for fmt in FORMATS:
            print(f"{level:5s} {fmt:6s} alone: {min(_timed(g, (fmt,), level)[0] for _ in range(args.repeat)):.2f} s")
        sizes, triples = best_all[1], best_all[2]
        print(f"{level:5s} triples/paper {triples / papers:.1f}; bytes/paper "
              + ", ".join(f"{fmt} {sizes[fmt] / papers:,.0f}" for fmt in FORMATS))


def _timed(g, formats: tuple[str, ...], level: str) -> tuple[float, dict[str, int], int]:
    out = Path(tempfile.mkdtemp(prefix="rdf-speed-"))
    try:
        t = time.perf_counter()
        paths = write_rdf(g, out, formats=formats, evidence=level)
        took = time.perf_counter() - t
        sizes = {fmt: p.stat().st_size for fmt, p in paths.items()}
        triples = sum(1 for _ in open(paths["nt"], "rb")) if "nt" in paths else 0
        return took, sizes, triples
    finally:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
