"""End-to-end build at scale: a cold `kg build`, the same build again, `kg add`, and the disk it takes.

    python -m bench.build_speed --papers 10000                    # 10k base papers + 1,000 added
    python -m bench.build_speed --papers 100000 --add 1000 --check-add --keep /tmp/b100k
    python -m bench.build_speed --input corpus.jsonl --add 0      # your own records, no add step

Steps, each its own process, one after the other (`--jobs` extraction processes, `--no-html`):
(1) `kg build BASE -o DIR` into a new folder (nothing cached); (2) the same command again, on the
unchanged corpus (every extraction from DIR's cache); (3) `kg add EXTRA --graph DIR` of `--add`
more papers; (4) with `--check-add`, a fresh build of BASE + EXTRA into another folder, to check
that (3) wrote the same bytes (kg.nt, kg.ttl, kg.jsonld). The synthetic corpus is
`../shared/bench/make_corpus.py` of papers + add records: the first `--papers` are BASE, the rest EXTRA.

Wall clock is from process start to exit; peak is the largest PSS of the process tree (summed over
the workers: forked workers share their parent's pages, which a sum of RSS would count once per
process; that sum, sampled every 50 ms, is printed too; PSS is sampled as often as costs 2% of a core); disk is each output's size after the step. When the
build reports where its time went (BuildReport.timings, printed by `kg build` as "time ..." rows),
those rows are printed too. Figures go to bench/README.md ("## Build (end to end)").
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.speed import KG, MAKE_CORPUS, ROOT

RDF_FILES = ("kg.nt", "kg.ttl", "kg.jsonld")


def disk_usage(path: Path) -> int:
    """Bytes under `path` (a file or a folder, recursively; symlinks not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def outputs(folder: Path) -> dict[str, int]:
    """Bytes of each entry of a built folder (files and folders, the cache included)."""
    return {p.name: disk_usage(p) for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return out


def tree_rss(pid: int) -> int:
    """RSS in bytes of `pid` and its descendants, from /proc/PID/statm (cheap: no page-table walk)."""
    page = os.sysconf("SC_PAGE_SIZE")
    rss = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                rss += int(fh.read().split()[1]) * page
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return rss


def tree_pss(pid: int) -> int:
    """PSS in bytes of `pid` and its descendants. Forked workers share their parent's pages,
    which RSS counts once in every process; PSS divides each shared page among its sharers, so the
    PSS sum is the memory the tree really holds. The kernel walks every page table to compute it:
    57 ms for a 2.9 GB process, so it must not be read often."""
    pss = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                pss += next((int(line.split()[1]) * 1024 for line in fh if line.startswith("Pss:")), 0)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pss


#: The PSS reads may take at most this share of one core (the rest of the time is the build's).
PSS_CPU_SHARE = 0.02


def run_measured(cmd: list[str]) -> tuple[float, int, int, str]:
    """(wall seconds, peak tree RSS, peak tree PSS, stdout) of a command.

    RSS is sampled every 50 ms. PSS costs a page-table walk per sample (at 50 ms intervals it took
    half a core of the 2-core machine from a 100k build, and slowed the build it measured), so it is
    read only as often as keeps its cost under PSS_CPU_SHARE of a core: every 3 s for a 3 GB build.
    A peak shorter than that can be missed, so the PSS peak is a lower bound (the RSS peak is not)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env={**os.environ, "COLUMNS": "200"})
    peak_rss = peak_pss = 0
    next_pss = 0.0
    while proc.poll() is None:
        rss = tree_rss(proc.pid)
        now = time.perf_counter()
        if now >= next_pss:
            pss = tree_pss(proc.pid)
            took = time.perf_counter() - now
            peak_pss = max(peak_pss, pss)
            next_pss = now + took / PSS_CPU_SHARE
        peak_rss = max(peak_rss, rss)
        time.sleep(0.05)
    wall = time.perf_counter() - t
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, peak_rss, peak_pss, out


def _step(name: str, cmd: list[str], folder: Path, res: dict) -> None:
    wall, rss, pss, out = run_measured(cmd)
    timings = [line.strip() for line in out.splitlines() if line.strip().startswith(("│ time ", "time "))]
    res[name] = {"seconds": round(wall, 1), "peak_pss_mib": round(pss / 2**20), "peak_rss_mib": round(rss / 2**20),
                 "disk": outputs(folder), "stages": [line.strip("│ ") for line in timings]}
    print(f"{name}: {wall:.1f} s, peak {pss / 2**20:,.0f} MiB (PSS of the process tree; RSS sum "
          f"{rss / 2**20:,.0f} MiB), folder {sum(res[name]['disk'].values()) / 2**20:,.0f} MiB")
    for line in timings:
        print("   ", line.strip("│ "))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=10_000, help="base papers (synthetic)")
    ap.add_argument("--add", type=int, default=1_000, help="papers then added with `kg add` (0: no add step)")
    ap.add_argument("--input", type=Path, help="base records instead of the synthetic corpus (no add step)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-rebuild", dest="rebuild", action="store_false", help="leave out step (2)")
    ap.add_argument("--check-add", action="store_true", help="also build BASE + EXTRA fresh and compare the RDF")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="build-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.input:
            base, extra = args.input, None
        else:
            whole = work / f"corpus-{args.papers + args.add}.jsonl"
            if not whole.is_file():
                subprocess.run([sys.executable, str(MAKE_CORPUS), str(args.papers + args.add), str(whole)],
                               check=True, stdout=subprocess.DEVNULL)
            base, extra = work / "base.jsonl", work / "extra.jsonl" if args.add else None
            with whole.open(encoding="utf-8") as src, base.open("w", encoding="utf-8") as b:
                rest = open(extra, "w", encoding="utf-8") if extra else None
                for i, line in enumerate(src):
                    (b if i < args.papers else rest).write(line)
                if rest:
                    rest.close()
        out = work / "graph"
        shutil.rmtree(out, ignore_errors=True)
        jobs = ["--jobs", str(args.jobs)]
        res: dict = {"papers": args.papers, "add": args.add if extra else 0, "jobs": args.jobs,
                     "load": os.getloadavg()[0]}
        build = [*KG, "build", str(base), "--output", str(out), *jobs, "--no-html"]
        _step("build", build, out, res)
        if args.rebuild:
            _step("rebuild (unchanged)", build, out, res)
        if extra:
            _step(f"add {args.add}", [*KG, "add", str(extra), "--graph", str(out), *jobs], out, res)
            if args.check_add:
                fresh = work / "fresh"
                shutil.rmtree(fresh, ignore_errors=True)
                _step("fresh build of both", [*KG, "build", str(base), str(extra), "--output", str(fresh), *jobs,
                                              "--no-html"], fresh, res)
                same = {f: filecmp.cmp(out / f, fresh / f, shallow=False) for f in RDF_FILES}
                res["add_equals_fresh"] = same
                print("kg add equals a fresh build:", same)
        if args.json:
            args.json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
