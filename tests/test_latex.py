"""LaTeX in titles and abstracts becomes text at read time (pylatexenc); no markup reaches entity names."""
from __future__ import annotations

import json
import re

import pytest
from conftest import SHARED

from kg.readers import read
from kg.readers.latex import has_latex, latex_to_text

ARXIV = SHARED / "corpus" / "arxiv-recent" / "papers.jsonl"


@pytest.fixture(scope="module")
def arxiv_latex_records():
    """The arxiv-recent records whose title or abstract carries LaTeX markup (about 10% of them)."""
    if not ARXIV.is_file():
        pytest.skip(f"needs ../shared beside the repository ({ARXIV} not found)")
    recs = [json.loads(line) for line in ARXIV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in recs if has_latex(r["title"]) or has_latex(r["abstract"])]


@pytest.mark.parametrize("raw, text", [
    (r"We propose \textbf{FooBench}, a benchmark", "We propose FooBench, a benchmark"),
    (r"in $\mathcal{O}(n)$ time", "in O(n) time"),
    (r"the $\mathcal{X}$-Net family", "the X-Net family"),
    (r"Intrinsic-\textbf{D}ynamic fields", "Intrinsic-Dynamic fields"),
    (r"Schr\"odinger bridges and Poincar\'e maps", "Schrödinger bridges and Poincaré maps"),
    (r"a $1.5\times$ speed-up, 30% fewer steps", "a 1.5× speed-up, 30% fewer steps"),
    (r"costs around $250) and runs ~2x faster", "costs around $250) and runs ~2x faster"),
    (r"termed $\texttt{$\textbf{Flora}$}$, which", "termed Flora, which"),
    (r"a shared Bird\u2019s Eye View", "a shared Bird\u2019s Eye View"),
    (r"baselines $\pi_{0.5}$ and {\em VLA} models", "baselines π_0.5 and VLA models"),
    (r"code at \url{https://github.com/a/b}.", "code at https://github.com/a/b."),
    ("plain text, 5% of $10", "plain text, 5% of $10"),
    # ties (LaTeX's non-breaking space) become spaces; "~" for a range or for "about" stays
    ("3D Gaussian Splatting~(3DGS) on a Raspberry Pi~5 in 150~ms", "3D Gaussian Splatting (3DGS) on a Raspberry Pi 5 in 150 ms"),
    ("continuity across the 0~360 degree range, improved by +11~48%", "continuity across the 0~360 degree range, improved by +11~48%"),
    ("a tie~(RIN) and $5 at ~2x", "a tie (RIN) and $5 at ~2x"),
])
def test_latex_to_text(raw, text):
    assert latex_to_text(raw) == text


def test_readers_render_latex_and_offsets_index_the_rendered_text(tmp_path):
    path = tmp_path / "p.jsonl"
    rec = {"id": "2501.00001", "title": r"\textbf{FooNet}: Fast $\mathcal{O}(n)$ Attention",
           "abstract": r"We present \textbf{FooNet} and evaluate it on \emph{ImageNet}."}
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    (paper,) = read([path])
    assert paper.title == "FooNet: Fast O(n) Attention"
    assert paper.abstract == "We present FooNet and evaluate it on ImageNet."
    from kg.extract.pipeline import extract_papers

    (_, entities), = extract_papers([paper])
    names = {e.name for e in entities}
    assert {"FooNet", "ImageNet"} <= names
    for e in entities:
        for m in e.mentions:
            assert paper.text[m.start:m.end] == m.text


def test_no_latex_reaches_entities_of_arxiv_recent(arxiv_latex_records):
    """Every arxiv-recent paper with markup, through the reader and the default extractor: no entity
    name or alias keeps a backslash, a dollar or a brace."""
    from kg.extract.pipeline import extract_papers
    from kg.readers.records import paper_from_record
    from kg.model import Problem

    problems: list[Problem] = []
    papers = [paper_from_record(r, "arxiv-recent", i, "jsonl", problems) for i, r in enumerate(arxiv_latex_records, 1)]
    assert len(papers) > 200 and not problems
    leaked = []
    for paper, entities in extract_papers(papers):
        assert not re.search(r"\\[A-Za-z]|\$[^$]+\$", paper.title + paper.abstract), paper.record_id
        for e in entities:
            for form in (e.name, *e.aliases):
                if re.search(r"[\\${}]", form):
                    leaked.append((paper.record_id, form))
    assert leaked == []


@pytest.mark.parametrize("raw", [
    r"a \frac 1 2 b c d", r"We use \textbf Foo here", r"x \alpha b c", r"a {\bf bold words here} b",
    r"unbalanced \emph{ brace and words after it", r"unbalanced } close \bf here", r"multi \cite{a, b} c",
    r"\emph {spaced} arg and words", r"a \textbf{x {y} z} w v", r"$x$ and $y$ and text -- and `` quoted '' end",
    r"an \href{http://a}{link text} here", r"\LaTeX\ is fun", r"a \verb|x y| b", r"A & B and \& C",
])
def test_only_markup_is_parsed_yet_text_is_the_whole_rendering(raw):
    """latex_to_text parses only the stretches around markup; the result is what parsing the whole
    text gives."""
    from kg.readers.latex import _protect, _render, _SPACE

    assert has_latex(raw)
    assert latex_to_text(raw) == _SPACE.sub(" ", _render(_protect(raw, False))).strip()


def test_arxiv_recent_renders_as_when_parsed_whole(arxiv_latex_records):
    import unicodedata

    from kg.readers.latex import _protect, _render, _SPACE

    texts = [t for r in arxiv_latex_records for t in (r["title"], r["abstract"]) if has_latex(t)]
    assert len(texts) > 300
    for t in texts:
        whole = _SPACE.sub(" ", unicodedata.normalize("NFC", _render(_protect(t, False)))).strip()
        assert latex_to_text(t) == whole
