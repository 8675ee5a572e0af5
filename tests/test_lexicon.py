"""The mined term lexicon of the rules-only pipeline: what it proposes, and that the shipped lexicon is
exactly what the training script mines from the training gold."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.extract.extensions import span_value
from kg.extract.lexicon import DEFAULT_LEXICON, Lexicon, Term, mine_lexicon
from kg.extract.pipeline import blank_english, build_pipeline

DATA = Path(__file__).parent / "data"
TRAIN = DATA / "arxiv_recent" / "train.jsonl"


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _candidates(nlp, text: str) -> dict[str, tuple[str, str]]:
    doc = nlp(text)
    return {s.text: (s.label_, span_value(s, "source")) for s in doc.spans["kg_candidates"]}


@pytest.fixture()
def small_lexicon(tmp_path: Path) -> str:
    lex = Lexicon({"urban planning": Term("urban planning", (("Task", 4),), 4, 5),
                   "sam": Term("SAM", (("Model", 6),), 6, 6),
                   "foonet": Term("Foonet", (("Model", 9),), 9, 9),
                   "rare phrase": Term("rare phrase", (("Method", 2),), 2, 40)})
    path = tmp_path / "terms.json"
    lex.write(path)
    return str(path)


def test_mined_terms_count_the_papers_that_mark_them_and_those_that_hold_them():
    records = _records(TRAIN)[:400]
    lex = mine_lexicon(records, blank_english())
    assert len(lex) > 100
    for key, term in lex.terms.items():
        assert term.marked >= 2 and term.seen >= term.marked and 0 < term.rate <= 1
        assert key == " ".join(term.form.lower().split())
    # A term is counted once per paper, however many entities of the paper carry it.
    key = max(lex.terms, key=lambda k: lex.terms[k].marked)
    marking = sum(any(key in {" ".join(f.lower().split()) for f in [e["name"], *e.get("aliases", [])]}
                      for e in r["entities"]) for r in records)
    assert lex.terms[key].marked == marking


def test_the_shipped_lexicon_is_mined_from_the_training_gold_only(tmp_path: Path):
    from bench.train_extractor import TRAIN_GOLD, load, write_lexicon

    assert DEFAULT_LEXICON.is_file(), "kg/data/lexicon/terms.json is missing: python -m bench.train_extractor"
    records = [r for p in TRAIN_GOLD for r in load(p)]
    assert all("test" not in p.name and p != DATA / "arxiv_recent" / "dev.jsonl" for p in TRAIN_GOLD)
    mined = write_lexicon(records, tmp_path / "terms.json")
    assert mined.read_bytes() == DEFAULT_LEXICON.read_bytes()


def test_lexicon_terms_become_candidates_where_annotators_usually_mark_them(small_lexicon: str):
    nlp = build_pipeline(lexicon_path=small_lexicon, use_ner=False)
    found = _candidates(nlp, "Urban planning meets SAM\nWe use SAM for urban planning; a rare phrase.")
    assert found["Urban planning"] == ("Task", "lexicon") and found["urban planning"] == ("Task", "lexicon")
    # Marked in 2 of the 40 papers holding it: a feature for the scorer, not a candidate.
    assert "rare phrase" not in found
    # Short upper-case forms match as written.
    assert "sam" not in _candidates(nlp, "\nThe sam is here.")
    # A term glued into a longer name belongs to that name.
    assert _candidates(nlp, "\nWe fine-tune Foonet.")["Foonet"] == ("Model", "lexicon")
    assert "Foonet" not in _candidates(nlp, "\nWe fine-tune Foonet-B/16 and Open-Foonet.")
    assert nlp.get_pipe("paperkg_lexicon").lexicon.get("Rare  Phrase").rate == 0.05
    # The default pipeline (CRF and entity scorer, which learned these names) has no lexicon.
    assert "paperkg_lexicon" not in build_pipeline(lexicon_path=small_lexicon).pipe_names


def test_a_lexicon_path_that_does_not_exist_is_an_error_naming_it(tmp_path: Path):
    missing = tmp_path / "nope" / "terms.json"
    with pytest.raises(FileNotFoundError, match="nope/terms.json"):
        Lexicon.load(missing)
    with pytest.raises(FileNotFoundError, match="nope/terms.json"):
        build_pipeline(lexicon_path=str(missing), use_ner=False)
