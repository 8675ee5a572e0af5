"""Isotonic against centred isotonic calibration of the entity scorer, cross-fitted on the dev papers.

    python -m bench.calibration_cv            # needs the train extra (scikit-learn)

The shipped scorer without its calibration scores the dev papers; each map is fitted on one half of
them (even or odd position) and judged on the other, both ways, over the entities the default
threshold keeps: expected calibration error (bins of 0.1), Brier score, and how many distinct
confidences the map gives (how fine a knob --min-confidence is). Figures in bench/README.md
("Centred isotonic calibration").
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from bench.extraction import right_entities
from bench.train_extractor import DEV_GOLD, centered_isotonic
from kg.extract.pipeline import build_pipeline
from kg.extract.scorer import DEFAULT_SCORER_DIR, SCORER_FILE


def _pairs(nlp, records: list[dict], tmp: Path) -> list[tuple[float, bool]]:
    gold, pred = tmp / "gold.jsonl", tmp / "pred.jsonl"
    gold.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "_source"}) + "\n" for r in records),
                    encoding="utf-8")
    texts = [f"{r.get('title') or ''}\n{r.get('abstract') or ''}" for r in records]
    with pred.open("w", encoding="utf-8") as fh:
        for r, doc in zip(records, nlp.pipe(texts)):
            fh.write(json.dumps({"id": r["id"], "entities": [e.to_json() for e in doc._.entities]}) + "\n")
    return sorted(right_entities(gold, pred))


def _maps(pairs: list[tuple[float, bool]]) -> dict[str, tuple[list[float], list[float]]]:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit([p for p, _ in pairs], [float(r) for _, r in pairs])
    xs, ys = iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist()
    return {"isotonic": ([0.0, *xs, 1.0], [ys[0], *ys, ys[-1]]), "centred": centered_isotonic(xs, ys)}


def _judge(xs: list[float], ys: list[float], pairs: list[tuple[float, bool]], threshold: float) -> tuple:
    kept = [(float(np.interp(p, xs, ys)), r) for p, r in pairs if p >= threshold]
    bins: dict[int, list] = {}
    for c, r in kept:
        bins.setdefault(min(int(c * 10), 9), []).append((c, r))
    ece = sum(len(v) / len(kept) * abs(np.mean([c for c, _ in v]) - np.mean([r for _, r in v])) for v in bins.values())
    brier = sum((c - r) ** 2 for c, r in kept) / len(kept)
    return ece, brier, len({round(c, 3) for c, _ in kept})


def main() -> None:
    model = json.loads((DEFAULT_SCORER_DIR / SCORER_FILE).read_text(encoding="utf-8"))
    model.pop("calibration", None)
    dev = [json.loads(line) for line in DEV_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    halves = [dev[0::2], dev[1::2]]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / SCORER_FILE).write_text(json.dumps(model), encoding="utf-8")
        nlp = build_pipeline(scorer_model=tmp, min_confidence=0.0)
        pairs = [_pairs(nlp, h, Path(tmp)) for h in halves]
    for name in ("isotonic", "centred"):
        runs = [_judge(*_maps(pairs[a])[name], pairs[b], model["threshold"]) for a, b in ((0, 1), (1, 0))]
        print(f"{name:9s} ECE {runs[0][0]:.4f} {runs[1][0]:.4f}  Brier {runs[0][1]:.4f} {runs[1][1]:.4f}  "
              f"distinct confidences {runs[0][2]} {runs[1][2]}")


if __name__ == "__main__":
    main()
