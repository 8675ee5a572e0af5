"""Extraction on a Dask cluster: batches of texts go to the workers, entities come back in input order.

Only extraction is distributed: it is where a build spends its time (most of it, per paper, with no
shared state), while reading, deduplication, resolution and export stay on the machine that runs
`kg build` and see the same results in the same order, so the output is byte-identical to a local
build. Workers need the same paperkg (and its models) installed; each loads the pipeline once.

``dask_client(None, workers=2)`` starts a LocalCluster of that many single-threaded worker processes
on 127.0.0.1 (no dashboard); ``dask_client("tcp://scheduler:8786")`` connects to a running
scheduler (dask-jobqueue, Kubernetes, `dask scheduler` + `dask worker`: see the README).

>>> from kg.model import Paper
>>> with dask_client(None, workers=1) as client:                    # doctest: +SKIP
...     [len(e) for _, e in extract_on_dask(client, [Paper("x", "FedLoGe", "We use CIFAR-100.")])]
[2]
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from ..model import Entity, Paper
from .pipeline import _batches, _extract_batch, _window

if TYPE_CHECKING:
    from .cache import ExtractionCache

__all__ = ["dask_client", "extract_on_dask"]


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int = 2) -> Iterator[Any]:
    """A distributed.Client on `scheduler` (an address such as tcp://host:8786), or on a LocalCluster of
    `workers` processes when it is None; closed (and the local cluster stopped) on exit.

    Raises ImportError with the install line when dask.distributed is missing, and OSError naming the
    address when the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("the dask engine needs dask.distributed: pip install 'paperkg[dask]'") from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise OSError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        try:
            yield client
        finally:
            client.close()
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def extract_on_dask(client: Any, papers: Iterable[Paper], *, batch_size: int = 64, ner_model: str | None = None,
                    use_ner: bool = True, min_confidence: float | None = None,
                    cache: "ExtractionCache | None" = None) -> Iterator[tuple[Paper, list[Entity]]]:
    """(paper, entities) for each paper, in input order, extracted on the cluster behind `client`.

    The same contract as kg.extract.pipeline.extract_papers (and the same cache): a bounded window of
    batches is in flight at a time (four per worker), so memory stays flat on any corpus size.
    """
    work = partial(_extract_batch, ner_model=str(ner_model) if ner_model else None, use_ner=use_ner,
                   min_confidence=min_confidence)
    in_flight = max(4 * len(client.scheduler_info().get("workers", {})), 4)

    def run(batches: list[list[str]]) -> list[list[list[Entity]]]:
        return client.gather(client.map(work, batches, pure=False))

    for window in _batches(_batches(papers, batch_size), in_flight):
        yield from _window(window, run, cache)
