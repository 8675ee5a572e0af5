"""`kg build --engine dask`: extraction on a real local Dask cluster of 2 workers, the same bytes as a local build."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'paperkg[dask]')")

from kg.build import build  # noqa: E402

PAPERS = Path(__file__).resolve().parent / "data" / "guideline_test.jsonl"
OUTPUTS = ("kg.nt", "kg.ttl", "kg.jsonld")


def test_dask_build_writes_the_bytes_of_a_local_build(tmp_path):
    build([PAPERS], tmp_path / "local", store=False, html=False, cache=False)
    _, report = build([PAPERS], tmp_path / "dask", store=False, html=False, jobs=2, engine="dask", cache=False,
                      )
    assert report.papers == 25
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_dask_cli_with_a_scheduler_it_cannot_reach_is_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "kg", "build", str(PAPERS), "-o", str(tmp_path / "g"), "--no-html",
                          "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and "127.0.0.1:9" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "g").exists()


def test_unknown_engine_and_scheduler_without_dask(tmp_path):
    base = [sys.executable, "-m", "kg", "build", str(PAPERS), "-o", str(tmp_path / "g"), "--no-html"]
    run = subprocess.run(base + ["--engine", "spark"], capture_output=True, text=True)
    assert run.returncode == 2 and "unknown engine 'spark'" in run.stderr
    run = subprocess.run(base + ["--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True)
    assert run.returncode == 2 and "--scheduler needs --engine dask" in run.stderr
