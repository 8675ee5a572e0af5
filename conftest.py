"""Doctests of the kg package run in a folder holding `out/`, a small real build.

The examples in kg's docstrings read as a user would type them after `kg build INPUT --output out`;
here `out/` is tests/data/guideline_test.jsonl (25 real papers) built once per session.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def _doctest_folder(tmp_path_factory) -> Path:
    from kg.build import build

    folder = tmp_path_factory.mktemp("doctest")
    build([ROOT / "tests" / "data" / "guideline_test.jsonl"], folder / "out", html=False)
    return folder


@pytest.fixture(autouse=True)
def _doctest_cwd(request, doctest_namespace):
    """For doctest items only: run inside the folder that holds `out/`."""
    if type(request.node).__name__ != "DoctestItem":
        yield
        return
    folder = request.getfixturevalue("_doctest_folder")
    here = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(here)
