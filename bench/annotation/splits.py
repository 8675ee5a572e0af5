"""Deterministic splits of ../shared/corpus/arxiv-recent for annotation, and annotator batches.

    python -m bench.annotation.splits --out DIR [--batch 50] [--split train3]

Papers are ordered by SHA-256 of "paperkg-split:" + arXiv id (no run order, no content): the first
150 are the held-out **test** split, the next 150 **dev**, the next 950 **train**, 600 more
**train2** and the last 539 **train3** (training data too, annotated second and third). A split's batches hold
its papers in id order. The batches as annotated are kept in tests/data/arxiv_recent/batches: their
text is what the annotators read (an earlier LaTeX conversion for a few papers). Each batch file holds papers as paperkg reads them (LaTeX rendered as text), one JSON
object a line: {"id", "title", "abstract"}; aliases are checked against title + "\\n" + abstract.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from kg.readers import read_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "arxiv-recent" / "papers.jsonl"
SPLITS = (("test", 150), ("dev", 150), ("train", 950), ("train2", 600), ("train3", 539))


def split_key(arxiv_id: str) -> str:
    """The order papers are drawn in: SHA-256 of the salted id."""
    return hashlib.sha256(f"paperkg-split:{arxiv_id}".encode()).hexdigest()


def splits(corpus: Path = CORPUS) -> dict[str, list[dict]]:
    """{split name: [{"id", "title", "abstract"}]} for the arxiv-recent corpus."""
    papers = [{"id": p.record_id, "title": p.title, "abstract": p.abstract}
              for p in read_file(corpus)]
    papers.sort(key=lambda p: split_key(p["id"]))
    out, start = {}, 0
    for name, n in SPLITS:
        out[name] = sorted(papers[start:start + n], key=lambda p: p["id"])
        start += n
    out["unlabelled"] = sorted(papers[start:], key=lambda p: p["id"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--split", action="append", help="write only these splits (default: all)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, papers in splits().items():
        if name == "unlabelled" or (args.split and name not in args.split):
            continue
        for i in range(0, len(papers), args.batch):
            path = args.out / f"{name}-{i // args.batch + 1:02d}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for p in papers[i:i + args.batch]:
                    fh.write(json.dumps(p, ensure_ascii=False) + "\n")
            print(path, len(papers[i:i + args.batch]))


if __name__ == "__main__":
    main()
