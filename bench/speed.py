"""Extraction speed: `kg extract` against spaCy's blank English tokenizer on the same texts.

    python -m bench.speed                          # 10,000 synthetic records, --jobs 1 and 2
    python -m bench.speed --records 2000 --jobs 1  # quicker
    python -m bench.speed --input papers.jsonl     # your own records (id, title, abstract)
    python -m bench.speed --no-ner                 # rules and vocabularies alone (kg extract --no-ner)

Each measurement runs in its own process, one after the other, so they share the machine in the
same way: (1) the floor, spaCy's blank English tokenizer alone (`tokenizer.pipe` over the texts,
after reading them; load time excluded); (2) the whole `kg extract INPUT --output OUT --jobs J`
command, wall clock from process start to exit (Python start-up, imports and loading the pipeline
included). Peak memory is the largest resident set of the process tree, sampled every 50 ms from
/proc (the sum over the tree, so --jobs 2 counts both workers). The machine is shared: compare
rates within one run, not across runs. Figures go to bench/README.md ("## Extraction speed").
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"
KG = [sys.executable, "-m", "kg"]

_FLOOR = r"""
import json, sys, time
import spacy
texts = []
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.strip():
            r = json.loads(line)
            texts.append(f"{r.get('title') or ''}\n{r.get('abstract') or ''}")
nlp = spacy.blank("en")
t = time.perf_counter()
tokens = sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=256))
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "records": len(texts), "tokens": tokens}))
"""


def _tree_rss(pid: int) -> int:
    """Resident set size in bytes of `pid` and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(cmd: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak tree RSS bytes, stdout) of a command."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - t
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, peak, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, help="records to extract (default: make_corpus.py --records N)")
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--no-ner", dest="ner", action="store_false",
                    help="measure `kg extract --no-ner` (without the statistical NER)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        inp = args.input
        if inp is None:
            inp = Path(tmp) / "corpus.jsonl"
            subprocess.run([sys.executable, str(MAKE_CORPUS), str(args.records), str(inp)], check=True)
        n = sum(1 for line in inp.open(encoding="utf-8") if line.strip())
        _, floor_rss, out = run_measured([sys.executable, "-c", _FLOOR, str(inp)])
        floor = json.loads(out)
        res = {"records": n, "tokens_per_record": round(floor["tokens"] / n, 1),
               "tokenizer_per_s": round(n / floor["seconds"], 1), "tokenizer_peak_mib": round(floor_rss / 2**20)}
        print(f"{n} records, {res['tokens_per_record']} tokens each; blank English tokenizer alone: "
              f"{res['tokenizer_per_s']} abstracts/s (peak {res['tokenizer_peak_mib']} MiB)")
        for jobs in args.jobs:
            wall, rss, _ = run_measured([*KG, "extract", str(inp), "--output", str(Path(tmp) / f"out{jobs}.jsonl"),
                                         "--jobs", str(jobs), *([] if args.ner else ["--no-ner"])])
            rate = n / wall
            res[f"jobs{jobs}"] = {"seconds": round(wall, 1), "per_s": round(rate, 1), "peak_mib": round(rss / 2**20),
                                  "vs_tokenizer": round(rate / res["tokenizer_per_s"], 3)}
            print(f"kg extract --jobs {jobs}{'' if args.ner else ' --no-ner'}: {wall:.1f} s, {rate:.1f} abstracts/s "
                  f"({rate / res['tokenizer_per_s']:.2f} x tokenizer), peak {rss / 2**20:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
