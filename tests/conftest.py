"""Shared fixtures: the real demo corpus in ../shared (skip with a reason where it is absent)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "daily-papers"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/browser.py, tests/graph_fixtures.py


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus/daily-papers: five real listing pages (521 entries, 482 papers)."""
    if not CORPUS.is_dir():
        pytest.skip(f"needs ../shared beside the repository ({CORPUS} not found)")
    return CORPUS


@pytest.fixture(scope="session")
def demo_papers(corpus):
    """The distinct papers of the demo corpus, by title."""
    from kg.dedupe import deduplicate
    from kg.readers import read

    papers, _ = deduplicate(read([corpus]))
    return {p.title: p for p in papers}


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The bundled demo corpus built once with kg.build.build (RDF files and the persisted store; no HTML).

    Shared by the store, validation and endpoint tests, which only read it.
    """
    from kg.build import build, demo_corpus

    out = tmp_path_factory.mktemp("demo")
    build([demo_corpus()], out, html=False)
    return out


from browser import chromium  # noqa: E402,F401  (session fixture: one headless Chromium for all tests)
