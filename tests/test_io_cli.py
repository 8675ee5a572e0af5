"""Atomic writes, and the README documenting every CLI command."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.cli import app
from kg.io import atomic_open, atomic_write_text

ROOT = Path(__file__).resolve().parents[1]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "kg.ttl"
    atomic_write_text(target, "old complete content\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half of the new")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old complete content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kg.ttl"]


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names
    for name in names:
        assert re.search(rf"`kg {name}\b", readme), f"kg {name} is not documented in README.md"
