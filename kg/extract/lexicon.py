"""Term lexicon: names annotators marked in several training papers, with how often each was marked.

The curated vocabularies (ontology/vocab) hold well-known concepts; many names an annotator marks
are in none of them ("machine learning", "Qwen2.5-VL", "long-horizon planning"). The lexicon is
mined from the hand-annotated training papers by bench/train_extractor.py (``mine_lexicon``): every
name or alias marked in at least `min_papers` papers, its types, the number of papers that mark it
and the number of papers whose text holds it at all. The ratio of the two is corpus-level termhood
(how often this string, when it occurs, is an entity); names marked often enough become candidates
(source "lexicon").

It serves the rules-and-vocabularies pipeline (``kg extract --no-ner``): there it lifts held-out
typed F1 from 0.554 to 0.599 (bench/README.md). The default pipeline leaves it out: its CRF and
entity scorer learned the same names from the same papers, and a scorer retrained with the lexicon's
candidates and termhood features scored no better on held-out papers (bench/README.md, "Tried").
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import filter_spans

from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .entity_types import is_generic
from .gazetteer import SPANS_KEY, case_sensitive_alias, doc_text

__all__ = ["Lexicon", "LexiconMatcher", "Term", "mine_lexicon", "term_key", "DEFAULT_LEXICON", "LEXICON_FILE"]

LEXICON_FILE = "terms.json"
DEFAULT_LEXICON = Path(__file__).resolve().parents[1] / "data" / "lexicon" / LEXICON_FILE


def term_key(name: str) -> str:
    """The lexicon's key of a name: lower case, single spaces.

    >>> term_key("  Large  Language Models")
    'large language models'
    """
    return " ".join(name.lower().split())


@dataclass(frozen=True)
class Term:
    """One lexicon entry: its most common surface form, types as marked, papers marking it, papers holding it."""

    form: str
    types: tuple[tuple[str, int], ...]
    marked: int
    seen: int

    @property
    def type(self) -> str:
        """The type annotators gave it most often (ties: alphabetical)."""
        return min(self.types, key=lambda t: (-t[1], t[0]))[0]

    @property
    def rate(self) -> float:
        """The share of papers holding the string that mark it as an entity."""
        return self.marked / max(self.seen, self.marked, 1)


class Lexicon:
    """Mined terms by key, loaded from (and written to) JSON.

    >>> lex = Lexicon({"machine learning": Term("machine learning", (("Task", 3),), 3, 4)})
    >>> t = lex.get("Machine Learning")
    >>> t.type, t.rate
    ('Task', 0.75)
    """

    def __init__(self, terms: dict[str, Term], min_papers: int = 2) -> None:
        self.terms = terms
        self.min_papers = min_papers

    def get(self, name: str) -> Term | None:
        """The term for `name` (any case and spacing), if mined."""
        return self.terms.get(term_key(name))

    def __len__(self) -> int:
        return len(self.terms)

    def to_json(self) -> dict:
        """The JSON form, keys sorted (byte-identical for the same terms)."""
        return {"min_papers": self.min_papers,
                "terms": {k: [t.form, dict(t.types), t.marked, t.seen] for k, t in sorted(self.terms.items())}}

    def write(self, path: Path | str) -> None:
        """Writes the lexicon's JSON to `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
                        encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Lexicon":
        """The lexicon at `path` (default kg/data/lexicon/terms.json, empty if the package has none: a
        source checkout before its first training run)."""
        if path is not None and not Path(path).is_file():
            raise FileNotFoundError(f"no term lexicon at {path} (mine one with bench/train_extractor.py)")
        path = Path(path or DEFAULT_LEXICON)
        if not path.is_file():
            return cls({})
        data = json.loads(path.read_text(encoding="utf-8"))
        terms = {k: Term(v[0], tuple(sorted(v[1].items())), int(v[2]), int(v[3])) for k, v in data["terms"].items()}
        return cls(terms, int(data.get("min_papers", 2)))


def _matchers(nlp: Language, forms: Iterable[str]) -> tuple[PhraseMatcher, PhraseMatcher]:
    """An exact matcher for short upper-case forms ("SAM", "MATH") and a lower-case one for the rest."""
    exact, lower = PhraseMatcher(nlp.vocab, attr="ORTH"), PhraseMatcher(nlp.vocab, attr="LOWER")
    by_key: dict[str, list[str]] = defaultdict(list)
    for form in forms:
        by_key[term_key(form)].append(form)
    for key in sorted(by_key):
        variants = sorted(set(by_key[key]))
        sensitive = [f for f in variants if case_sensitive_alias(f)]
        if sensitive:
            exact.add(key, list(nlp.tokenizer.pipe(sensitive)))
        else:
            lower.add(key, [nlp.tokenizer(variants[0])])
    return exact, lower


def _matches(doc: Doc, matchers: tuple[PhraseMatcher, PhraseMatcher]) -> list[tuple[str, int, int]]:
    strings = doc.vocab.strings
    return [(strings[mid], s, e) for m in matchers for mid, s, e in m(doc)]


def mine_lexicon(records: Sequence[dict], nlp: Language, min_papers: int = 2) -> Lexicon:
    """The lexicon of gold records ({"title", "abstract", "entities": [{"name", "type", "aliases"}]}):
    every name or alias marked in at least `min_papers` papers, with the papers whose text holds it.

    `nlp` tokenizes (paperkg's blank English pipeline: the tokens the matcher will see).

    >>> from kg.extract.pipeline import blank_english
    >>> recs = [{"title": "T", "abstract": f"We study machine learning {i}.",
    ...          "entities": [{"name": "machine learning", "type": "Task"}]} for i in range(2)]
    >>> recs.append({"title": "T", "abstract": "Not machine learning here.", "entities": []})
    >>> t = mine_lexicon(recs, blank_english()).get("machine learning")
    >>> t.marked, t.seen, t.type
    (2, 3, 'Task')
    """
    marked: Counter = Counter()
    types: dict[str, Counter] = defaultdict(Counter)
    forms: dict[str, Counter] = defaultdict(Counter)
    for rec in records:
        here: dict[str, str] = {}
        for ent in rec.get("entities") or []:
            for form in {ent.get("name") or "", *(ent.get("aliases") or [])}:
                form = " ".join(form.split())
                if form and not is_generic(form) and len(form) <= 80:
                    key = term_key(form)
                    here.setdefault(key, ent["type"])
                    forms[key][form] += 1
        for key, type_ in here.items():
            marked[key] += 1
            types[key][type_] += 1
    keep = {k for k, n in marked.items() if n >= min_papers}
    if not keep:
        return Lexicon({}, min_papers)
    matchers = _matchers(nlp, (f for k in keep for f in forms[k]))
    seen: Counter = Counter()
    texts = (f"{r.get('title') or ''}\n{r.get('abstract') or ''}" for r in records)
    for doc in nlp.tokenizer.pipe(texts):
        seen.update({key for key, _, _ in _matches(doc, matchers)})
    terms = {k: Term(min(forms[k].items(), key=lambda f: (-f[1], f[0]))[0], tuple(sorted(types[k].items())),
                     marked[k], max(seen[k], marked[k])) for k in keep}
    return Lexicon(terms, min_papers)


def _glued(text: str, start: int, end: int) -> bool:
    """True when text[start:end] is joined by a hyphen or slash to a word on either side."""
    return (text[end:end + 1] in ("-", "/") and text[end + 1:end + 2].isalnum()) or \
        (start >= 2 and text[start - 1] in ("-", "/") and text[start - 2].isalnum())


@Language.factory(
    "paperkg_lexicon",
    assigns=["doc.spans", "span._.source"],
    default_config={"lexicon_path": None, "min_rate": 0.15, "spans_key": SPANS_KEY},
)
class LexiconMatcher:
    """Adds a candidate span (source "lexicon", label = the term's usual type) for every mined term found
    that annotators mark in at least `min_rate` of the papers holding it.

    `lexicon_path`: a terms.json written by bench/train_extractor.py (default kg/data/lexicon/terms.json);
    `spans_key`: the span group the candidates go to. Spans a finder before it already holds keep
    their reading.
    """

    def __init__(self, nlp: Language, name: str, lexicon_path: str | None = None, min_rate: float = 0.15,
                 spans_key: str = SPANS_KEY) -> None:
        self.name = name
        self.spans_key = spans_key
        self.lexicon = Lexicon.load(lexicon_path)
        terms = self.lexicon.terms
        # Short upper-case forms match as written: "SAM" is a term, "sam" is not.
        self._matchers = _matchers(nlp, (t.form for t in terms.values() if t.rate >= min_rate))

    def __call__(self, doc: Doc) -> Doc:
        group = doc.spans.get(self.spans_key) or SpanGroup(doc, name=self.spans_key)
        held = {(s.start, s.end) for s in group}
        terms = self.lexicon.terms
        spans = [Span(doc, s, e, label=terms[key].type) for key, s, e in _matches(doc, self._matchers)
                 if (s, e) not in held]
        text = doc_text(doc)
        for span in filter_spans(spans):
            # A term inside a longer hyphenated name ("ViT" in "ViT-B/16", "Open-ViT") is that name's business.
            if _glued(text, span.start_char, span.end_char):
                continue
            span._.source = "lexicon"
            group.append(span)
        doc.spans[self.spans_key] = group
        return doc
