"""Extraction quality against gold data, scored by ../shared/bench/score_extraction.py.

    python -m bench.extraction --gold ../shared/bench/scirex-dev.jsonl --folds 5
    python -m bench.extraction --gold tests/data/guideline_dev.jsonl

Predictions come from the same code path as `kg extract` (reader -> pipeline -> JSON contract).
The pipeline has no trained component yet, so nothing is fitted on any fold: every fold is scored
as held-out data, and the mean over folds equals the whole-file score up to weighting.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from kg.extract.pipeline import extract_papers
from kg.readers import read

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "bench" / "score_extraction.py"


def predict(gold_lines: list[str], out: Path) -> None:
    """Write `kg extract`-style predictions for the gold papers to `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "input.jsonl"
        inp.write_text("".join(json.dumps({k: json.loads(l)[k] for k in ("id", "title", "abstract")}) + "\n"
                               for l in gold_lines), encoding="utf-8")
        with out.open("w", encoding="utf-8") as fh:
            for paper, entities in extract_papers(read([inp])):
                fh.write(json.dumps({"id": paper.record_id or paper.id,
                                     "entities": [e.to_json() for e in entities]}) + "\n")


def score(gold: Path, pred: Path) -> dict:
    """Run the shared scorer and return its JSON result."""
    res = subprocess.run([sys.executable, str(SCORER), str(gold), str(pred), "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main(argv: list[str] | None = None) -> int:
    """Score each fold of the gold file and print per-fold figures and their mean."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--folds", type=int, default=1)
    args = ap.parse_args(argv)
    if not SCORER.exists():
        print(f"scorer not found at {SCORER} (../shared missing?)", file=sys.stderr)
        return 2
    lines = [l for l in args.gold.read_text(encoding="utf-8").splitlines() if l.strip()]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.folds):
            fold = [l for i, l in enumerate(lines) if i % args.folds == k]
            gold_k, pred_k = Path(tmp) / f"gold{k}.jsonl", Path(tmp) / f"pred{k}.jsonl"
            gold_k.write_text("\n".join(fold) + "\n", encoding="utf-8")
            predict(fold, pred_k)
            results.append(score(gold_k, pred_k))
            print(f"fold {k}: {json.dumps(_summary(results[-1]))}")
    mean = _mean([_summary(r) for r in results])
    print(f"mean over {args.folds} fold(s): {json.dumps(mean)}")
    if args.folds == 1:
        print(json.dumps(results[0], indent=1))
    return 0


def _summary(res: dict) -> dict:
    if "mentions" in res:
        out = {f"mention_f1_{t}": v["f1"] for t, v in res["mentions"].items()}
        out.update({"mention_p_all": res["mentions"]["all"]["p"], "mention_r_all": res["mentions"]["all"]["r"]})
        out["salient_recall_all"] = res["salient_recall"]["all"]
        return out
    out = {f"{k}_f1": v["f1"] for k, v in res.items() if isinstance(v, dict) and "f1" in v}
    out["proposed_recall"] = res.get("proposed_recall")
    return out


def _mean(rows: list[dict]) -> dict:
    keys = rows[0].keys()
    return {k: round(sum(r[k] or 0 for r in rows) / len(rows), 4) for k in keys}


if __name__ == "__main__":
    sys.exit(main())
