"""Time the GraphML and GEXF exports (kg.export) of a built graph and measure their peak memory, for the
streaming writers of this tree against the in-memory ones of an earlier commit (networkx's writers).

    .venv/bin/python -m bench.export_speed /tmp/o                      # a folder `kg build` wrote
    .venv/bin/python -m bench.export_speed /tmp/o --formats gexf --repeat 3 --before 2ca1fa3

Each (writer, format) runs in a fresh process, so that its peak RSS is its own: the process reads
DIR/kg.nt (kg.rdf.read_rdf), notes its RSS and restarts the kernel's peak-RSS mark there, exports once
to a scratch folder and notes the peak RSS during the export (/proc/self/status VmHWM; Linux only).
"Before" is kg/export.py as it was at --before (`git show REV:kg/export.py`), loaded beside this tree's
kg package, so both writers flatten the same graph with the same helpers of their time.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "2ca1fa3"  # the last commit whose GraphML/GEXF writers built the XML tree in memory


def main() -> None:
    """Parse arguments, run one child process per (writer, format), print one line per run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", type=Path, help="folder written by kg build")
    ap.add_argument("--formats", default="graphml,gexf", help="formats to export (graphml, gexf)")
    ap.add_argument("--before", default=BEFORE, help="git revision of the in-memory writers")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is printed")
    ap.add_argument("--child", nargs=2, metavar=("WRITER", "FORMAT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.graph, args.child[0], args.child[1], args.before)
        return
    print(f"{'format':8s} {'writer':7s} {'export s':>9s} {'RSS after read':>15s} {'peak RSS':>9s} "
          f"{'peak - read':>12s} {'MB written':>11s}")
    for fmt in args.formats.split(","):
        for writer in ("before", "stream"):
            runs = [_run(args.graph, writer, fmt, args.before) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            peak = max(r["peak_kib"] for r in runs)
            print(f"{fmt:8s} {writer:7s} {best['seconds']:9.2f} {best['read_kib'] / 1024:11.0f} MiB "
                  f"{peak / 1024:5.0f} MiB {(peak - best['read_kib']) / 1024:8.0f} MiB "
                  f"{best['bytes'] / 1e6:11.1f}")


def _run(graph: Path, writer: str, fmt: str, before: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.export_speed", str(graph), "--child", writer, fmt,
                          "--before", before], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))


def _reset_peak() -> None:
    """Start the peak RSS (VmHWM) again from the present RSS (Linux >= 4.0), so that the peak measured is
    the export's, not read_rdf's (rdflib's parse peaks higher than the graph it leaves)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _before_module(rev: str) -> ModuleType:
    """kg/export.py at `rev`, importable as kg._export_before (its relative imports find this kg)."""
    source = subprocess.run(["git", "show", f"{rev}:kg/export.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("kg._export_before", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "kg"
    sys.modules[spec.name] = module
    exec(compile(source, f"{rev}:kg/export.py", "exec"), module.__dict__)
    return module


def _child(graph: Path, writer: str, fmt: str, before: str) -> None:
    from kg.rdf import read_rdf

    export = _before_module(before).export_graph if writer == "before" else None
    if export is None:
        from kg.export import export_graph as export
    import kg.views.select  # noqa: F401  (imported by both writers: kept out of the export's figures)

    g = read_rdf(graph / "kg.nt")
    gc.collect()
    _reset_peak()
    read_kib = _status_kib("VmRSS")
    out = Path(tempfile.mkdtemp(prefix="export-speed-"))
    try:
        t = time.perf_counter()
        [path] = export(g, fmt, out / f"kg.{fmt}")
        seconds = time.perf_counter() - t
        size = path.stat().st_size
    finally:
        shutil.rmtree(out)
    peak_kib = _status_kib("VmHWM")
    print(json.dumps({"seconds": seconds, "read_kib": read_kib, "peak_kib": peak_kib, "bytes": size}))


if __name__ == "__main__":
    main()
