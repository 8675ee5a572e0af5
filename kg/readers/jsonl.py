"""JSON Lines: one record per line (generic records, the arXiv metadata snapshot, OpenAlex snapshot
works, Semantic Scholar dataset papers), streamed. A line holding a whole API page ({"meta", "results":
[...]}, as a saved OpenAlex or Semantic Scholar answer is, on one line) gives each of its records.
Records of Semantic Scholar's papers and abstracts datasets, each half a paper, are handed on as
DatasetRecords for kg.readers.s2_datasets to join."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..model import Paper, Problem, Source
from .common import iter_lines
from .records import paper_from_record, record_list_key
from .s2_datasets import DatasetRecord, dataset_kind

__all__ = ["FORMAT", "read_jsonl"]

FORMAT = "jsonl"


def read_jsonl(path: str | Path, problems: list[Problem]) -> Iterator[Paper | DatasetRecord]:
    """Papers (and dataset records to join) of a JSON Lines file, one line at a time; a bad line is a
    Problem, the rest is still read."""
    shown = str(path)
    for lineno, text, ok in iter_lines(path, problems):
        if not ok:
            continue  # not UTF-8: reported by iter_lines
        text = text.strip()
        if not text:
            continue
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as e:
            reason = e.msg.removesuffix(" starting at").removesuffix(" at")
            problems.append(Problem(shown, lineno, f"malformed JSON ({reason}, column {e.colno}); line skipped"))
            continue
        except RecursionError:
            problems.append(Problem(shown, lineno, "JSON nested too deeply (over the parser's nesting limit); "
                                                   "line skipped"))
            continue
        except ValueError as e:  # valid JSON Python will not hold, e.g. an integer of over 4,300 digits
            problems.append(Problem(shown, lineno, f"unreadable JSON value ({str(e)[:120]}); line skipped"))
            continue
        key = record_list_key(rec)
        for item in rec[key] if key is not None else (rec,):
            half = dataset_kind(item)
            if half is not None:
                yield DatasetRecord(half[0], half[1], item, [Source(shown, lineno, FORMAT)])
                continue
            paper = paper_from_record(item, shown, lineno, FORMAT, problems)
            if paper is not None:
                yield paper
