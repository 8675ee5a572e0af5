"""The extraction pipeline: a blank English spaCy pipeline with our components, and its driver."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache, partial

import spacy
from spacy.language import Language

from ..model import Entity, Paper
from . import abbreviations, candidates, gazetteer, ner, roles, select  # noqa: F401  (registers factories)
from .entities import VocabIndex, doc_entities

__all__ = ["build_pipeline", "extract_papers", "extract_text", "PIPE_NAMES"]

# The default pipeline. The statistical NER ("paperkg_ner") runs after the rule candidates and only
# fills the gaps they leave; the shipped model is trained for the entity guideline (bench/train_ner.py).
PIPE_NAMES = ("sentencizer", "paperkg_line_breaks", "paperkg_abbreviations", "paperkg_gazetteer",
              "paperkg_candidates", "paperkg_ner", "paperkg_select", "paperkg_roles")


def build_pipeline(vocab_dir: str | None = None, ner_model: str | None = None, *,
                   use_ner: bool = True) -> Language:
    """A fresh spaCy pipeline: sentences, abbreviations, gazetteer, candidates, NER, selection, roles.

    `ner_model`: a model directory written by bench/train_ner.py (default the one in kg/data/ner);
    `use_ner=False` leaves the NER out (rules and vocabularies alone).
    """
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paperkg_line_breaks")
    nlp.add_pipe("paperkg_abbreviations")
    nlp.add_pipe("paperkg_gazetteer", config={"vocab_dir": vocab_dir})
    nlp.add_pipe("paperkg_candidates")
    if use_ner:
        # After the rule candidates: where both read the same offsets, the rules' reading is kept.
        nlp.add_pipe("paperkg_ner", config={"model_path": str(ner_model) if ner_model else None})
    nlp.add_pipe("paperkg_select")
    nlp.add_pipe("paperkg_roles")
    return nlp


@lru_cache(maxsize=4)
def _default(ner_model: str | None = None, use_ner: bool = True) -> tuple[Language, VocabIndex]:
    nlp = build_pipeline(ner_model=ner_model, use_ner=use_ner)
    return nlp, VocabIndex(nlp.get_pipe("paperkg_gazetteer").entries)


def extract_text(title: str, abstract: str) -> list[Entity]:
    """Entities of one title and abstract (offsets index into title + newline + abstract)."""
    nlp, index = _default()
    return doc_entities(nlp(f"{title}\n{abstract}"), index)


def _extract_batch(texts: list[str], ner_model: str | None = None, use_ner: bool = True) -> list[list[Entity]]:
    """Worker: entities of a batch of texts (Docs stay in the worker; only dataclasses travel)."""
    nlp, index = _default(ner_model, use_ner)
    return [doc_entities(doc, index) for doc in nlp.pipe(texts)]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def extract_papers(papers: Iterable[Paper], *, jobs: int = 1, batch_size: int = 64,
                   ner_model: str | None = None, use_ner: bool = True) -> Iterator[tuple[Paper, list[Entity]]]:
    """(paper, entities) for each paper, in input order; `jobs` > 1 uses that many processes.

    `ner_model`: a NER model directory instead of the shipped one; `use_ner=False`: no statistical NER.
    """
    ner_model = str(ner_model) if ner_model else None
    if jobs <= 1:
        for batch in _batches(papers, batch_size):
            yield from zip(batch, _extract_batch([p.text for p in batch], ner_model, use_ner))
        return
    import multiprocessing

    # Build the pipeline once before forking so workers share it copy-on-write.
    _default(ner_model, use_ner)
    work = partial(_extract_batch, ner_model=ner_model, use_ner=use_ner)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        # A bounded window of batches at a time keeps memory flat on million-paper corpora.
        for window in _batches(_batches(papers, batch_size), jobs * 8):
            results = pool.map(work, [[p.text for p in b] for b in window], chunksize=1)
            for batch, entities in zip(window, results):
                yield from zip(batch, entities)
