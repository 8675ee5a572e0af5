"""Adjudicate independent annotations by majority vote, and measure the annotators' agreement.

    python -m bench.annotation.adjudicate --batches DIR --annotations DIR --split dev --out GOLD.jsonl

tests/data/arxiv_recent/{dev,test,train}.jsonl are made so, from the batches and annotations beside
them (train from --split train --split train2; train3.jsonl from --split train3).

For every paper, the entities of all annotators are grouped when they share a surface form
(normalised as ../shared/bench/score_extraction.py does: case, punctuation and a plural "s" do not
count). A group named by at least `--min-votes` annotators (default: a majority of those who
annotated the paper) is a gold entity: its type and role are the majority's (ties: see
`_vote`), its aliases every form the group's annotators wrote, its name the most common name.
A split annotated by one annotator only (training data) is copied as it is.

Agreement is the typed entity F1 of each pair of annotators (the scorer's matching, which is
symmetric in F1), and untyped F1, averaged over papers pooled.
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCORER = ROOT.parent / "shared" / "bench" / "score_extraction.py"
# Ties between roles go to the more specific one; between types to the order of the guideline.
ROLE_ORDER = ("proposed", "compared", "used", "mentioned")
TYPE_ORDER = ("Dataset", "Model", "Method", "Task", "Metric")


def _scorer():
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _vote(values: list[str], order: tuple[str, ...]) -> str:
    """The most common value; a tie goes to the value earliest in `order`."""
    counts = Counter(values)
    best = max(counts.values())
    return min((v for v, c in counts.items() if c == best), key=order.index)


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def adjudicate_paper(annotations: dict[str, list[dict]], min_votes: int, names) -> list[dict]:
    """Gold entities of one paper from {annotator: entities}."""
    nodes = [(a, e) for a in sorted(annotations) for e in annotations[a]]
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_form: dict[str, int] = {}
    for i, (_, e) in enumerate(nodes):
        for form in sorted(names(e)):
            if form in by_form:
                parent[find(i)] = find(by_form[form])
            else:
                by_form[form] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(nodes)):
        groups[find(i)].append(i)
    gold = []
    for members in sorted(groups.values()):
        voters: dict[str, list[dict]] = defaultdict(list)
        for i in members:
            voters[nodes[i][0]].append(nodes[i][1])
        if len(voters) < min_votes:
            continue
        # One vote per annotator: their first entity of the group.
        firsts = [ents[0] for _, ents in sorted(voters.items())]
        type_ = _vote([e["type"] for e in firsts], TYPE_ORDER)
        others = [t for e in firsts for t in (e["type"], e.get("alt_type")) if t and t != type_]
        role = _vote([e["role"] for e in firsts], ROLE_ORDER)
        name = _vote([e["name"] for e in firsts], tuple(sorted({e["name"] for e in firsts})))
        aliases = sorted({a for ents in voters.values() for e in ents for a in e.get("aliases", [])})
        ent = {"name": name, "type": type_, "aliases": aliases, "role": role, "votes": len(voters)}
        if others:
            ent["alt_type"] = _vote(others, TYPE_ORDER)
        gold.append(ent)
    return gold


def pair_agreement(a: list[dict], b: list[dict], scorer) -> tuple[int, int, int, int]:
    """(typed matches, untyped matches, |a|, |b|) between two annotators' entities of one paper."""
    return scorer.match(a, b, True), scorer.match(a, b, False), len(a), len(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=Path, required=True, help="folder of SPLIT-NN.jsonl batch files")
    ap.add_argument("--annotations", type=Path, required=True, help="folder of SPLIT-NN.ANNOTATOR.jsonl files")
    ap.add_argument("--split", action="append", required=True, help="split name (repeat to join several)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--min-votes", type=int, default=0, help="default: a majority of the paper's annotators")
    args = ap.parse_args(argv)
    scorer = _scorer()
    papers: dict[str, dict] = {}
    for split in args.split:
        for batch in sorted(args.batches.glob(f"{split}-*.jsonl")):
            for rec in _read_jsonl(batch):
                papers[rec["id"]] = rec
    ann: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for path in sorted(p for split in args.split for p in args.annotations.glob(f"{split}-*.*.jsonl")):
        annotator = path.name.split(".")[-2]
        for rec in _read_jsonl(path):
            ann[rec["id"]][path.name.rsplit(".", 2)[0] + "." + annotator] = rec["entities"]
    missing = [pid for pid in papers if pid not in ann]
    if missing:
        print(f"{len(missing)} papers have no annotation yet and are left out: {missing[:5]}", file=sys.stderr)
    pairs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    votes = Counter()
    with args.out.open("w", encoding="utf-8") as fh:
        for pid in sorted(p for p in papers if p in ann):
            by = {k.rsplit(".", 1)[1]: v for k, v in ann.get(pid, {}).items()}
            need = args.min_votes or len(by) // 2 + 1
            gold = adjudicate_paper(by, need, scorer.names) if len(by) > 1 else \
                [dict(e) for e in next(iter(by.values()), [])]
            votes.update(e.get("votes", 1) for e in gold)
            for x, y in itertools.combinations(sorted(by), 2):
                acc = pairs[(x, y)]
                for i, v in enumerate(pair_agreement(by[x], by[y], scorer)):
                    acc[i] += v
            rec = {k: papers[pid][k] for k in ("id", "title", "abstract")}
            rec["entities"] = gold
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    n_ent = sum(votes.values())
    print(f"{'+'.join(args.split)}: {len(papers) - len(missing)} papers, {n_ent} gold entities; by votes: {dict(sorted(votes.items()))}")
    for (x, y), (typed, untyped, na, nb) in sorted(pairs.items()):
        print(f"  {x} vs {y}: typed F1 {2 * typed / (na + nb):.3f}, untyped F1 {2 * untyped / (na + nb):.3f} "
              f"({na} vs {nb} entities)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
