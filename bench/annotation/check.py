"""Check one annotator's file against its batch: the mechanical rules of the guideline.

    python check.py BATCH.jsonl ANNOTATIONS.jsonl

Every paper of the batch has one line {"id", "entities": [...]}; every entity has a name, a type
(Dataset|Model|Method|Task|Metric), an optional alt_type, a role (proposed|used|compared|mentioned)
and aliases that are all exact substrings of title + "\\n" + abstract. Prints each problem and exits
1 if there is any.
"""
from __future__ import annotations

import json
import sys

TYPES = {"Dataset", "Model", "Method", "Task", "Metric"}
ROLES = {"proposed", "used", "compared", "mentioned"}


def problems(batch_path: str, ann_path: str) -> list[str]:
    """Every rule an annotation file breaks, one message each."""
    batch = {}
    with open(batch_path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                batch[rec["id"]] = rec["title"] + "\n" + rec["abstract"]
    out, seen = [], set()
    with open(ann_path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                out.append(f"line {n}: not JSON ({e})")
                continue
            pid = rec.get("id")
            if pid not in batch:
                out.append(f"line {n}: id {pid!r} is not in the batch")
                continue
            if pid in seen:
                out.append(f"line {n}: id {pid} annotated twice")
            seen.add(pid)
            text = batch[pid]
            for e in rec.get("entities", []):
                where = f"line {n} ({pid}) entity {e.get('name')!r}"
                if e.get("type") not in TYPES:
                    out.append(f"{where}: type {e.get('type')!r} is not one of {sorted(TYPES)}")
                if e.get("alt_type") not in (None, *TYPES) or (e.get("alt_type") and e["alt_type"] == e.get("type")):
                    out.append(f"{where}: bad alt_type {e.get('alt_type')!r}")
                if e.get("role") not in ROLES:
                    out.append(f"{where}: role {e.get('role')!r} is not one of {sorted(ROLES)}")
                aliases = e.get("aliases") or []
                if not aliases:
                    out.append(f"{where}: no aliases")
                for a in aliases:
                    if a not in text:
                        out.append(f"{where}: alias {a!r} is not an exact substring of the text")
    for pid in batch:
        if pid not in seen:
            out.append(f"paper {pid} has no line (write {{\"id\": ..., \"entities\": []}} if it has none)")
    return out


if __name__ == "__main__":
    found = problems(sys.argv[1], sys.argv[2])
    for p in found:
        print(p)
    print(f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
