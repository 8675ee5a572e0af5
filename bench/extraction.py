"""Extraction quality of the shipped pipeline against gold data, scored by ../shared/bench/score_extraction.py.

    python -m bench.extraction --gold tests/data/arxiv_recent/test.jsonl --roles --calibration   # the headline
    python -m bench.extraction --gold tests/data/arxiv_recent/test.jsonl --min-confidence 0.6
    python -m bench.extraction --gold tests/data/guideline_test.jsonl
    python -m bench.extraction --gold ../shared/bench/scirex-dev.jsonl                          # salient recall
    python -m bench.extraction --gold tests/data/arxiv_recent/test.jsonl --ner none              # kg extract --no-ner

Predictions come from the same code path as `kg extract` (reader -> pipeline -> JSON contract). The
shipped models (kg/data/ner, kg/data/scorer) are trained by bench/train_extractor.py on the demo
corpus gold and the arxiv-recent train split, tuned on arxiv-recent dev: scores on
tests/data/arxiv_recent/test.jsonl, guideline_test.jsonl and SciREX are held out, on the others
training-set scores. Cross-validated figures on the training papers: bench/train_extractor.py --cv.
--ner none scores the rules and vocabularies alone; --ner-only the NER's spans alone.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

from kg.extract.ner import DEFAULT_MODEL_DIR
from kg.extract.pipeline import build_pipeline, extract_papers
from kg.readers import read

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "bench" / "score_extraction.py"


def predict(gold_lines: list[str], out: Path, ner_model: str | None = None, mode: str = "full",
            min_confidence: float | None = None) -> None:
    """Write `kg extract`-style predictions for the gold papers to `out`.

    mode "full": the default pipeline (with `ner_model` if given); "rules": without the NER;
    "ner-only": the NER's spans alone.
    """
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "input.jsonl"
        inp.write_text("".join(json.dumps({k: json.loads(l)[k] for k in ("id", "title", "abstract")}) + "\n"
                               for l in gold_lines), encoding="utf-8")
        if mode == "full":
            results = extract_papers(read([inp]), ner_model=ner_model, use_ner=ner_model is not None,
                                     min_confidence=min_confidence)
        else:
            nlp = build_pipeline(ner_model=ner_model, use_ner=mode == "ner-only", use_scorer=False)
            if mode == "ner-only":
                nlp.remove_pipe("paperkg_gazetteer")
                nlp.remove_pipe("paperkg_candidates")
            papers = list(read([inp]))
            results = zip(papers, (d._.entities for d in nlp.pipe(p.text for p in papers)))
        with out.open("w", encoding="utf-8") as fh:
            for paper, entities in results:
                fh.write(json.dumps({"id": paper.record_id or paper.id,
                                     "entities": [e.to_json() for e in entities]}) + "\n")


def score(gold: Path, pred: Path) -> dict:
    """Run the shared scorer and return its JSON result."""
    res = subprocess.run([sys.executable, str(SCORER), str(gold), str(pred), "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main(argv: list[str] | None = None) -> int:
    """Score the shipped pipeline on a gold file and print the scorer's figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--ner", choices=("shipped", "none"), default="shipped",
                    help="the shipped NER and entity scorer (default), or none (rules and vocabularies alone)")
    ap.add_argument("--ner-model", type=Path, default=None, help="score with this NER model directory")
    ap.add_argument("--ner-only", action="store_true", help="score the NER alone (no gazetteer, no rules)")
    ap.add_argument("--min-confidence", type=float, default=None, help="as kg extract --min-confidence")
    ap.add_argument("--roles", action="store_true",
                    help="also print how often the role of a found entity is the gold role (entity-level gold only)")
    ap.add_argument("--calibration", action="store_true",
                    help="also print, per confidence band, the share of predicted entities that are right "
                         "(entity-level gold only)")
    args = ap.parse_args(argv)
    if not SCORER.exists():
        print(f"scorer not found at {SCORER} (../shared missing?)", file=sys.stderr)
        return 2
    mode = "ner-only" if args.ner_only else "rules" if args.ner == "none" else "full"
    lines = [l for l in args.gold.read_text(encoding="utf-8").splitlines() if l.strip()]
    model = str(args.ner_model or DEFAULT_MODEL_DIR) if mode != "rules" else None
    with tempfile.TemporaryDirectory() as tmp:
        gold, pred = Path(tmp) / "gold.jsonl", Path(tmp) / "pred.jsonl"
        gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
        predict(lines, pred, ner_model=model, mode=mode, min_confidence=args.min_confidence)
        result = score(gold, pred)
        if args.roles:
            pairs = role_agreement(gold, pred)
            n = sum(pairs.values())
            same = sum(v for (g, p), v in pairs.items() if g == p)
            print(f"roles: {same / n:.3f} of {n} found entities have the gold role; gold role -> predicted:")
            for g in ROLES:
                print(f"  {g}: " + ", ".join(f"{p} {pairs[(g, p)]}" for p in ROLES))
        if args.calibration:
            for band, (n, right) in sorted(calibration(gold, pred, {}).items()):
                print(f"confidence {band:.1f}-{band + 0.1:.1f}: {n} entities, {right / n:.3f} right (typed)")
    print(json.dumps(_summary(result)))
    print(json.dumps(result, indent=1))
    return 0


ROLES = ("proposed", "used", "compared", "mentioned")


@lru_cache(maxsize=1)
def _scorer():
    """The shared scorer as a module (for its name normalisation), loaded once."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    return scorer


def _golds(gold: Path) -> dict[str, dict]:
    return {str(g["id"]): g for g in map(json.loads, gold.read_text(encoding="utf-8").splitlines()) if g}


def role_agreement(gold: Path, pred: Path) -> Counter:
    """(gold role, predicted role) counts over predicted entities that share a name with a gold entity."""
    scorer, golds = _scorer(), _golds(gold)
    pairs: Counter = Counter()
    for line in pred.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        gents = golds[str(rec["id"])].get("entities", [])
        for e in rec["entities"]:
            hit = next((g for g in gents if scorer.names(g) & scorer.names(e)), None)
            if hit is not None:
                pairs[(hit.get("role"), e.get("role"))] += 1
    return pairs


def right_entities(gold: Path, pred: Path) -> list[tuple[float, bool]]:
    """(confidence, right) of every predicted entity: right when a gold entity of the paper shares a
    surface form with it and has its type (or alt_type), as the shared scorer counts typed matches."""
    scorer, golds = _scorer(), _golds(gold)
    out = []
    for line in pred.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        gents = golds[str(rec["id"])].get("entities", [])
        for e in rec["entities"]:
            right = any(scorer.names(g) & scorer.names(e) and scorer.coarse(e["type"]) in
                        {scorer.coarse(g["type"]), scorer.coarse(g.get("alt_type") or g["type"])} for g in gents)
            out.append((e["confidence"], right))
    return out


def calibration(gold: Path, pred: Path, bands: dict) -> dict:
    """Adds, per confidence band of width 0.1, [entities, typed-right entities] of `pred` to `bands`."""
    for conf, right in right_entities(gold, pred):
        band = bands.setdefault(min(int(conf * 10), 9) / 10, [0, 0])
        band[0] += 1
        band[1] += right
    return bands


def _summary(res: dict) -> dict:
    if "mentions" in res:
        out = {f"mention_f1_{t}": v["f1"] for t, v in res["mentions"].items()}
        out.update({"mention_p_all": res["mentions"]["all"]["p"], "mention_r_all": res["mentions"]["all"]["r"]})
        out["salient_recall_all"] = res["salient_recall"]["all"]
        return out
    out = {f"{k}_f1": v["f1"] for k, v in res.items() if isinstance(v, dict) and "f1" in v}
    out["proposed_recall"] = res.get("proposed_recall")
    return out


if __name__ == "__main__":
    sys.exit(main())
