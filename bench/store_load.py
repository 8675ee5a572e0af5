"""Where the time of `kg build`'s store load goes: each step of `kg.store.persist_store`, timed apart.

    python -m bench.store_load DIR/kg.nt                      # the steps, as kg build runs them
    python -m bench.store_load DIR/kg.nt --batch 500000       # another bulk_extend batch size
    python -m bench.store_load DIR/kg.nt --copies 10          # a file 10x as big (see below)
    python -m bench.store_load DIR/kg.nt --native             # also pyoxigraph's own bulk_load of the file

The steps: parse only (pyoxigraph's streaming N-Triples parser, nothing stored), parse and
bulk_extend in batches of --batch quads (what `_bulk_load` does), optimize, flush, len, the
materialized named queries and the SHA-256 of the file. Each prints its seconds, the process's RSS
and the store folder's size after it.

--copies K first writes K copies of the file in one, each copy's resources (IRIs under the graph's
base, not the ontology or the curated vocabulary) and blank nodes suffixed with the copy's number:
a graph K times as big with the same shape, to see how each step grows without a K-times-bigger
build. The copies share the ontology and vocabulary terms, as papers of one bigger corpus would.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench.build_speed import disk_usage, tree_rss
from kg.schema import BASE, KGV_NS, ONTOLOGY_IRI
from kg.store import OxigraphStore, _bulk_load, _materialize, _ox_format, _sha256

_TERM = re.compile(r"<([^>]*)>|_:([A-Za-z0-9_\-]+)")
_SHARED = (ONTOLOGY_IRI, KGV_NS)  # terms every copy shares


def write_copies(src: Path, out: Path, copies: int) -> None:
    """Write `copies` copies of the N-Triples file `src` to `out`, each one's resources suffixed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.nt").write_text('<https://w3id.org/paperkg/paper/p1> '
    ...     '<https://w3id.org/paperkg/ontology#mentions> _:b1 .\\n')
    >>> write_copies(d / "a.nt", d / "b.nt", 2)
    >>> print((d / "b.nt").read_text(), end="")
    <https://w3id.org/paperkg/paper/p1-c0> <https://w3id.org/paperkg/ontology#mentions> _:b1c0 .
    <https://w3id.org/paperkg/paper/p1-c1> <https://w3id.org/paperkg/ontology#mentions> _:b1c1 .
    """
    with out.open("w", encoding="utf-8") as fh:
        for k in range(copies):
            tag = f"c{k}"
            def rename(m: re.Match, tag: str = tag) -> str:
                iri, blank = m.groups()
                if blank is not None:
                    return f"_:{blank}{tag}"
                if iri.startswith(BASE) and not iri.startswith(_SHARED):
                    return f"<{iri}-{tag}>"
                return m.group(0)

            with src.open(encoding="utf-8") as lines:
                for line in lines:
                    # Subject and predicate hold no quote; a literal object ends the triple, so only
                    # the part before the first quote has terms to rename (a datatype IRI is shared).
                    head, quote, rest = line.partition('"')
                    fh.write(_TERM.sub(rename, head) + quote + rest)


def main(argv: list[str] | None = None) -> None:
    import pyoxigraph

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path, help="an N-Triples file written by kg build (DIR/kg.nt)")
    ap.add_argument("--batch", type=int, default=50_000, help="quads per bulk_extend (kg.store: 50,000)")
    ap.add_argument("--copies", type=int, default=1, help="load K suffixed copies of the file in one")
    ap.add_argument("--tmp", type=Path, default=None, help="where the store (and copies) go")
    ap.add_argument("--native", action="store_true",
                    help="also time Store.bulk_load(path=...) of the whole file into a second store (the "
                         "loader kg.store used before batches; its peak memory grows with the file)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="store-load-", dir=args.tmp))
    try:
        src = args.source
        if args.copies > 1:
            t = time.perf_counter()
            src = work / "copies.nt"
            write_copies(args.source, src, args.copies)
            print(f"wrote {args.copies} copies: {src.stat().st_size / 2**20:,.0f} MiB "
                  f"in {time.perf_counter() - t:.1f} s")
        fmt = _ox_format(src)
        print(f"source {src} ({src.stat().st_size / 2**20:,.0f} MiB), batch {args.batch:,}")

        def step(name: str, fn, folder: Path | None = None):
            t = time.perf_counter()
            out = fn()
            size = f", store {disk_usage(folder) / 2**20:,.0f} MiB" if folder else ""
            print(f"{name:<22} {time.perf_counter() - t:8.1f} s   RSS {tree_rss(os.getpid()) / 2**20:7,.0f} MiB{size}",
                  flush=True)
            return out

        step("parse only", lambda: sum(1 for _ in pyoxigraph.parse(path=str(src), format=fmt)))
        folder = work / "store"
        store = pyoxigraph.Store(str(folder))

        step("parse + bulk_extend", lambda: _bulk_load(store, src, fmt, args.batch), folder)
        step("optimize", store.optimize, folder)
        step("flush", store.flush, folder)
        triples = step("len", lambda: len(store))
        print(f"  ({triples:,} triples, {math.ceil(triples / args.batch):,} batches)")
        step("named queries", lambda: _materialize(store))
        step("sha256 of the file", lambda: _sha256(src))
        del store
        if args.native:
            native = pyoxigraph.Store(str(work / "native"))
            step("native bulk_load", lambda: native.bulk_load(path=str(src), format=fmt), work / "native")
            step("native optimize", native.optimize, work / "native")
            print(f"  peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
            del native
        step("open read-only + len", lambda: len(OxigraphStore(pyoxigraph.Store.read_only(str(folder)))))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
