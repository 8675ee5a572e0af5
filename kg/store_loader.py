"""kg.store.persist_store in a child Python process, so that a build writes its other files meanwhile.

Loading the store is the longest thing a build does after extracting (about a fifth of a 10,000-paper
build), and it only needs kg.nt. A thread would not overlap it with anything: pyoxigraph holds the
GIL while it parses and converts triples. A child process started from scratch (not forked) shares
no memory with the build, so the build's pages are not copied as it goes on touching them, and it
does not re-run the caller's ``__main__`` as a spawned multiprocessing child would.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .store import STORE_DIR, QueryError

__all__ = ["BackgroundLoad"]

_CHILD = """\
import sys
from kg.store import QueryError, persist_store
try:
    persist_store(sys.argv[1])
except QueryError as exc:
    sys.exit(str(exc))
"""
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before it runs (Linux): a build killed outright takes its store load with it."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class BackgroundLoad:
    """``persist_store(graph_dir)`` running in a child process: `wait` for its result, or `cancel` it.

    >>> import shutil; _ = shutil.copytree("out", "bg", dirs_exist_ok=True)
    >>> load = BackgroundLoad("bg")
    >>> load.wait()
    PosixPath('bg/store')
    >>> load.seconds > 0
    True
    """

    def __init__(self, graph_dir: str | Path) -> None:
        self.graph_dir = Path(graph_dir)
        self.seconds = 0.0
        self._errors = tempfile.TemporaryFile()
        # The child imports this very kg package, wherever the caller imported it from.
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        self._start = time.perf_counter()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(self.graph_dir)], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self._errors, env=env,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    def wait(self) -> Path:
        """The store's path once the load is done; QueryError with the child's message if it failed."""
        code = self._proc.wait()
        self.seconds = time.perf_counter() - self._start
        self._errors.seek(0)
        lines = self._errors.read().decode("utf-8", "replace").strip().splitlines()
        self._errors.close()
        if code:
            why = lines[-1] if lines else f"exit status {code}"
            raise QueryError(f"loading the store of {self.graph_dir} failed: {why}")
        return self.graph_dir / STORE_DIR

    def cancel(self) -> None:
        """Stop the load (if still running) and wait for the child to exit; what it wrote is left to the
        caller, who is discarding the folder."""
        if self._proc.poll() is None:
            self._proc.terminate()
        self._proc.wait()
        self._errors.close()
