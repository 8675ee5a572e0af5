"""Check one judge's file against its batch: every candidate of every query graded 0, 1 or 2."""
import json
import sys

batch = json.load(open(sys.argv[1], encoding="utf-8"))
want = {item["query"]["id"]: {c["id"] for c in item["candidates"]} for item in batch}
problems = []
seen = set()
for n, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    if not line.strip():
        continue
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        problems.append(f"line {n}: not JSON ({e})")
        continue
    q = str(rec.get("query"))
    if q not in want:
        problems.append(f"line {n}: query {q!r} is not in the batch")
        continue
    seen.add(q)
    grades = rec.get("grades", {})
    if not rec.get("judge"):
        problems.append(f"line {n}: no judge name")
    for c in want[q] - set(map(str, grades)):
        problems.append(f"line {n}: candidate {c} of query {q} not graded")
    for c, g in grades.items():
        if str(c) not in want[q]:
            problems.append(f"line {n}: {c} is not a candidate of query {q}")
        if g not in (0, 1, 2):
            problems.append(f"line {n}: grade {g!r} for {c} is not 0, 1 or 2")
for q in want:
    if q not in seen:
        problems.append(f"query {q} has no line")
for p in problems:
    print(p)
print(f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
