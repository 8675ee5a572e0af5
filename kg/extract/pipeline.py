"""The extraction pipeline: a blank English spaCy pipeline with our components, and its driver."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from typing import TYPE_CHECKING

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ..model import MAX_TEXT_CHARS, Entity, Paper
from .gazetteer import TEXT_KEY
if TYPE_CHECKING:
    from .cache import ExtractionCache
from . import abbreviations, candidates, entities, gazetteer, lexicon, ner, roles, scorer, select  # noqa: F401

__all__ = ["blank_english", "build_pipeline", "extract_papers", "extract_text", "PIPE_NAMES"]

# The default pipeline. The statistical NER ("paperkg_ner") runs after the rule candidates and only
# fills the gaps they leave; the shipped model is trained for the entity guideline (bench/train_ner.py).
PIPE_NAMES = ("sentencizer", "paperkg_line_breaks", "paperkg_abbreviations", "paperkg_gazetteer",
              "paperkg_candidates", "paperkg_ner", "paperkg_select", "paperkg_roles", "paperkg_entities", "paperkg_entity_scorer")


# A full stop after a capital that follows a digit or a small letter ends a sentence, not an
# abbreviation: "fine-tuned from Qwen2.5-VL-7B. We", "than FooBERT. It" (spaCy keeps "U.S." whole).
_NAME_FULL_STOP = r"(?<=[0-9a-z][A-Z])\.$"
_GLUED_BRACKET = r"(?<=[A-Za-z]{2})\((?=[A-Z])"


class TextKeepingTokenizer:
    """spaCy's tokenizer that also keeps the text it was given on the Doc (``doc_text``): spaCy's
    ``doc.text`` joins every token anew, which cost the pipeline about 4% of its time.
    Everything else (``suffix_search``, ``pipe``, ``explain``...) is the wrapped tokenizer's.

    >>> nlp = spacy.blank("en")
    >>> nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    >>> nlp("A  text.").user_data[TEXT_KEY]
    'A  text.'
    """

    def __init__(self, tokenizer: Callable[[str], Doc]) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT_KEY] = text
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Tokenize a stream of texts."""
        for text in texts:
            yield self(text)

    def __getattr__(self, name: str):
        return getattr(self.tokenizer, name)


# Chunks spaCy's tokenizer keeps the split of (blank_english).
TOKENIZER_CACHE_CHUNKS = 200_000


def blank_english() -> Language:
    """spaCy's blank English pipeline with paperkg's tokenizer (every component starts from it).

    >>> [t.text for t in blank_english()("from Qwen2.5-VL-7B. We")]
    ['from', 'Qwen2.5', '-', 'VL-7B', '.', 'We']
    >>> [t.text for t in blank_english()("Visual Language Model(VLM) and f(x)")]
    ['Visual', 'Language', 'Model', '(', 'VLM', ')', 'and', 'f(x', ')']
    """
    nlp = spacy.blank("en")
    suffixes = [*nlp.Defaults.suffixes, _NAME_FULL_STOP]
    nlp.tokenizer.suffix_search = spacy.util.compile_suffix_regex(suffixes).search
    # "Visual Language Model(VLM)": a definition glued to its long form is two tokens and a bracket,
    # or the abbreviation finder never sees it and the name swallows the bracket
    infixes = [*nlp.Defaults.infixes, _GLUED_BRACKET]
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    # English's special cases for " ", "\t", "\n" and "\xa0" map a whitespace token to itself, but a
    # special case holding a space goes to the tokenizer's special-case matcher, which then re-tokenized
    # every abstract (each has the "\n" after its title): 60% of the tokenizer's time. Without them the
    # tokens are the same (tests/test_extract.py compares both tokenizers on real and random text).
    nlp.tokenizer.rules = {k: v for k, v in nlp.tokenizer.rules.items() if k.strip()}
    # spaCy caches how each whitespace-separated chunk splits, but stops adding chunks after its default
    # 10,000: a corpus meets more than that in its first few hundred abstracts, and every chunk after
    # went through the prefix, suffix and infix searches again (0.30 -> 0.18 ms a paper on 10,000
    # records, the same tokens). Each chunk costs some tens of bytes.
    nlp.tokenizer.max_cache_size = TOKENIZER_CACHE_CHUNKS
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    return nlp


def build_pipeline(vocab_dir: str | None = None, ner_model: str | None = None, *,
                   use_ner: bool = True, use_scorer: bool = True, scorer_model: str | None = None,
                   min_confidence: float | None = None, ner_config: dict | None = None,
                   lexicon_path: str | None = None) -> Language:
    """A fresh spaCy pipeline: sentences, abbreviations, gazetteer, candidates, NER, selection, roles,
    and the grouping into paper-level entities (``doc._.entities``).

    `ner_model`: a model directory written by bench/train_ner.py (default the one in kg/data/ner),
    `ner_config` more settings of its factory;
    `use_ner=False` leaves the NER out (rules and vocabularies alone, with the lexicon of names annotators
    marked, `lexicon_path`, default kg/data/lexicon/terms.json: kg/extract/lexicon.py). The entity scorer (a learned
    keep/type/role decision with calibrated confidence, kg/extract/scorer.py) comes last:
    `scorer_model` is a folder written by bench/train_extractor.py (default kg/data/scorer),
    `min_confidence` overrides its threshold, `use_scorer=False` leaves it out (every candidate, rule
    types and roles). The scorer is trained on the NER's candidates: without the NER, it is left out
    too. Every component is a
    registered factory, so the pipeline can be changed with spaCy's own API (``nlp.remove_pipe``,
    ``nlp.add_pipe(..., config=...)``).

    >>> nlp = build_pipeline(use_ner=False)
    >>> doc = nlp("FedLoGe: federated learning\\nWe evaluate on CIFAR-100-LT and ImageNet.")
    >>> [(e.name, e.type, e.role) for e in doc._.entities]  # doctest: +NORMALIZE_WHITESPACE
    [('FedLoGe', 'Method', 'proposed'), ('federated learning', 'Task', 'used'),
     ('CIFAR-100-LT', 'Dataset', 'used'), ('ImageNet', 'Dataset', 'used')]
    """
    nlp = blank_english()
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paperkg_line_breaks")
    nlp.add_pipe("paperkg_abbreviations")
    nlp.add_pipe("paperkg_gazetteer", config={"vocab_dir": vocab_dir})
    nlp.add_pipe("paperkg_candidates")
    if not use_ner:
        # After the rules, whose readings of the same offsets stand: the lexicon fills what they miss.
        nlp.add_pipe("paperkg_lexicon", config={"lexicon_path": str(lexicon_path) if lexicon_path else None})
    if use_ner:
        # After the rule candidates: where both read the same offsets, the rules' reading is kept.
        nlp.add_pipe("paperkg_ner", config={"model_path": str(ner_model) if ner_model else None, **(ner_config or {})})
    nlp.add_pipe("paperkg_select")
    nlp.add_pipe("paperkg_roles")
    nlp.add_pipe("paperkg_entities")
    if use_scorer and use_ner:
        nlp.add_pipe("paperkg_entity_scorer", config={"model_path": str(scorer_model) if scorer_model else None,
                                                      "min_confidence": min_confidence})
    return nlp


@lru_cache(maxsize=4)
def _default(ner_model: str | None = None, use_ner: bool = True, min_confidence: float | None = None) -> Language:
    return build_pipeline(ner_model=ner_model, use_ner=use_ner, min_confidence=min_confidence)


def extract_text(title: str, abstract: str) -> list[Entity]:
    """Entities of one title and abstract (offsets index into title + newline + abstract).

    >>> [(e.name, e.type) for e in extract_text("", "We evaluate BERT on SQuAD.")]
    [('BERT', 'Model'), ('SQuAD', 'Dataset')]
    """
    return _extract_batch([f"{title}\n{abstract}"])[0]


def _extract_batch(texts: list[str], ner_model: str | None = None, use_ner: bool = True,
                   min_confidence: float | None = None) -> list[list[Entity]]:
    """Worker: entities of a batch of texts (Docs stay in the worker; only dataclasses travel).

    A text over MAX_TEXT_CHARS (the readers cut longer records, with a problem; this guards other
    callers) is extracted from its first MAX_TEXT_CHARS characters: spaCy refuses texts over its
    max_length (E088) and one record must not stop a run. Offsets still index into the whole text.
    """
    texts = [t[:MAX_TEXT_CHARS] for t in texts]
    return [doc._.entities for doc in _default(ner_model, use_ner, min_confidence).pipe(texts)]


def _init_worker() -> None:
    """Pool initializer: Ctrl-C is the parent's to handle (it stops the pool), so workers print no
    traceback; and each worker's BLAS runs one thread. The BiLSTM's small matrix products gain nothing
    from more, and `jobs` workers each starting a thread per core oversubscribe the machine: --jobs 2
    ran at a third of its speed (bench/README.md, "Extraction speed"). Dask's workers do the same by
    their own configuration."""
    import signal

    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(limits=1, user_api="blas")


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _window(window: list[list[Paper]], run: Callable[[list[list[str]]], list[list[list[Entity]]]],
            cache: "ExtractionCache | None") -> Iterator[tuple[Paper, list[Entity]]]:
    """(paper, entities) for a window of batches: from the cache where it has them, the rest through `run`
    (which extracts a list of text batches), kept in the cache as they come."""
    texts = [[p.text for p in batch] for batch in window]
    known = [cache.get_many(ts) for ts in texts] if cache is not None else [[None] * len(ts) for ts in texts]
    todo = [[t for t, k in zip(ts, ks) if k is None] for ts, ks in zip(texts, known)]
    fresh = iter(run([t for t in todo if t]))
    for batch, ks, td in zip(window, known, todo):
        new = next(fresh) if td else []
        if cache is not None and td:
            cache.put_many(zip(td, new))
        it = iter(new)
        yield from zip(batch, (k if k is not None else next(it) for k in ks))


def extract_papers(papers: Iterable[Paper], *, jobs: int = 1, batch_size: int = 64,
                   ner_model: str | None = None, use_ner: bool = True,
                   min_confidence: float | None = None,
                   cache: "ExtractionCache | None" = None) -> Iterator[tuple[Paper, list[Entity]]]:
    """(paper, entities) for each paper, in input order; `jobs` > 1 uses that many processes.

    `ner_model`: a NER model directory instead of the shipped one; `use_ner=False`: no statistical NER;
    `min_confidence`: keep only entities the scorer is at least this sure of (default: its own threshold);
    `cache`: a kg.extract.cache.ExtractionCache opened with the fingerprint of these same options
    (``extractor_fingerprint(use_ner, ner_model, min_confidence)``): papers whose text it holds are not
    extracted again, and new results are added to it.

    >>> paper = Paper(id="x", title="FedLoGe", abstract="We evaluate on CIFAR-100-LT.")
    >>> [(e.name, e.type) for _, ents in extract_papers([paper], use_ner=False) for e in ents]
    [('FedLoGe', 'Method'), ('CIFAR-100-LT', 'Dataset')]
    """
    ner_model = str(ner_model) if ner_model else None
    work = partial(_extract_batch, ner_model=ner_model, use_ner=use_ner, min_confidence=min_confidence)
    if jobs <= 1:
        from threadpoolctl import ThreadpoolController

        # One BLAS thread here too (as in the workers, _init_worker): a second one made the BiLSTM's small
        # products no faster and cost 28% more CPU time (bench/README.md, "Extraction speed"). The limit is
        # held only while a window is extracted, not while the caller consumes its results.
        blas = ThreadpoolController()

        def run(batches: list[list[str]]) -> list[list[list[Entity]]]:
            with blas.limit(limits=1, user_api="blas"):
                return [work(b) for b in batches]

        for window in _batches(_batches(papers, batch_size), 4):
            yield from _window(window, run, cache)
        return
    import multiprocessing

    # Build the pipeline once before forking so workers share it copy-on-write.
    _default(ner_model, use_ner, min_confidence)
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_init_worker) as pool:
        # A bounded window of batches at a time keeps memory flat on million-paper corpora.
        for window in _batches(_batches(papers, batch_size), jobs * 8):
            yield from _window(window, lambda batches: pool.map(work, batches, chunksize=1), cache)
