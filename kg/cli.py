"""The `kg` command line: thin wrappers that parse arguments, call the library and render with rich."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .schema import EVIDENCE_LEVELS

__all__ = ["app", "main"]

app = typer.Typer(
    name="kg", no_args_is_help=True, add_completion=False,
    help="paperkg: turn research papers into a knowledge graph you can query and explore.",
)
out = Console()
err = Console(stderr=True)
MAX_PROBLEMS_SHOWN = 20


def _show_problems(problems: list, log: Path | None = None) -> None:
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        err.print(f"[yellow]problem[/] {p}", markup=True, highlight=False, soft_wrap=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        more = len(problems) - MAX_PROBLEMS_SHOWN
        err.print(f"... and {more} more" + (f" (all in {log})" if log else ""))


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)


@app.command()
def build(
    inputs: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders of papers.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")] = Path("exports"),
    demo: Annotated[bool, typer.Option(help="Build the bundled demo corpus (five listing pages).")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Processes for extraction and related-work ranking.")] = 1,
    strict: Annotated[bool, typer.Option(help="Exit with status 1, writing nothing, if any input had problems.")] = False,
    html: Annotated[bool, typer.Option(help="Write graph.html.")] = True,
    ner: Annotated[bool, typer.Option("--ner/--no-ner", help="Use the statistical NER (--no-ner: rules and "
                                      "vocabularies alone, faster).")] = True,
    min_confidence: Annotated[Optional[float], typer.Option(
        "--min-confidence", min=0.0, max=1.0,
        help="Keep only entities at least this confident (calibrated: about that share of them is right); "
             "default: the extractor's own threshold, chosen for F1.")] = None,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Keep each paper's extraction in OUTPUT/.cache, keyed by its text and the "
                                   "extractor, so a rebuild extracts only new or changed papers.")] = True,
    engine: Annotated[str, typer.Option(
        "--engine", help="Where extraction runs: local (--jobs processes) or dask (a Dask cluster: --scheduler, "
                         "or a local cluster of --jobs workers). The output is the same.")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786), with --engine dask.")] = None,
    evidence: Annotated[str, typer.Option(
        "--evidence",
        help="Provenance each paper -> concept link keeps in the RDF: all (every mention span and the "
             "evidence sentence), first (the first span and the sentence), none (the direct triple only).")] = "all",
) -> None:
    """Build the graph: kg.ttl, kg.nt, kg.jsonld and graph.html in OUTPUT.

    Examples: `kg build --demo`, `kg build papers.jsonl listings/ --output out/ --jobs 2`.
    """
    from .build import build as run_build, demo_corpus

    sources = list(inputs or [])
    if demo:
        sources.append(demo_corpus())
    if not sources:
        err.print("Nothing to build: give input files or folders, or --demo.")
        raise typer.Exit(2)
    if scheduler and engine != "dask":
        err.print("kg build: --scheduler needs --engine dask", highlight=False, markup=False)
        raise typer.Exit(2)
    if evidence not in EVIDENCE_LEVELS:
        err.print(f"kg build: --evidence must be one of {', '.join(EVIDENCE_LEVELS)}, not {evidence!r}",
                  highlight=False, markup=False)
        raise typer.Exit(2)
    _run_and_report("build", output, cache, lambda progress: run_build(
        sources, output, jobs=jobs, html=html, use_ner=ner, min_confidence=min_confidence, strict=strict,
        cache=cache, engine=engine, scheduler=scheduler, evidence=evidence, progress=progress, reuse=cache))


def _run_and_report(command: str, output: Path, cache: bool, run) -> None:
    """Run a build (`run(progress)` -> (graph, report)), turn its errors into one line and an exit code,
    and print its summary."""
    from .build import BuildError, NothingRead, StrictFailure
    from .io import OutputError

    kept = f"nothing written, {output} left as it was"
    try:
        with _progress() as bar:
            task = bar.add_task("extracting", total=None)
            _, report = run(lambda done, total: bar.update(task, completed=done, total=total))
    except KeyboardInterrupt:
        err.print(f"interrupted: {kept}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except OutputError as exc:
        err.print(f"kg {command}: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except (NothingRead, StrictFailure) as exc:
        _show_problems(exc.report.problems)
        why = ("no paper could be read from the inputs" if isinstance(exc, NothingRead) else
               f"--strict and {len(exc.report.problems)} problems in the inputs")
        err.print(f"kg {command}: {why}: {kept}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except BuildError as exc:
        err.print(f"kg {command}: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    log = report.outputs.get("problems")
    if report.problems:
        _show_problems(report.problems, log)
    table = Table(title=f"paperkg {command} -> {output}", show_header=False)
    if report.up_to_date:
        table.add_row("up to date", "the folder already holds this build (same records, options and code; "
                                    "its files untouched): nothing written (--no-cache to build anyway)")
    table.add_row("records read", str(report.records))
    table.add_row("papers", str(report.papers))
    table.add_row("duplicates merged", str(report.duplicates_merged))
    if cache:
        table.add_row("extracted / from cache", f"{report.papers - report.extraction_cached} / "
                                                f"{report.extraction_cached}")
    for t, n in report.concepts_by_type.items():
        table.add_row(f"concepts: {t}", str(n))
    for rel, n in report.links_by_relation.items():
        table.add_row(f"links: {rel}", str(n))
    table.add_row("related-paper links", str(report.related_pairs))
    table.add_row("problems (records skipped)", f"{len(report.problems)} ({report.skipped})")
    for name, path in report.outputs.items():
        table.add_row(f"wrote {name}", str(path))
    for name, t in report.timings.items():
        table.add_row(f"time {name}", f"{t.seconds:.1f} s (peak {t.peak_mib:,} MiB)")
    out.print(table)


@app.command()
def add(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders of papers to add.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Processes for extraction and related-work ranking.")] = 1,
    strict: Annotated[bool, typer.Option(help="Exit with status 1, changing nothing, if any input had problems.")] = False,
) -> None:
    """Add papers to a built folder: only they are extracted; the graph, related links, RDF, store and
    view are rebuilt as `kg build` of all the papers would write them.

    Example: `kg add this-week.jsonl --graph out/`.
    """
    from .update import add_papers

    _run_and_report("add", graph, True, lambda progress: add_papers(inputs, graph, jobs=jobs, strict=strict,
                                                                    progress=progress))


@app.command()
def remove(
    ids: Annotated[list[str], typer.Argument(help="Papers to remove: paper id, node key, arXiv id "
                                                  "(2403.12345, arXiv:2403.12345v2, an arxiv.org URL), DOI (bare, "
                                                  "doi:, a doi.org URL), the input record's id or the exact title.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Processes for extraction and related-work ranking.")] = 1,
) -> None:
    """Remove papers from a built folder (every record merged into them too); nothing is extracted again.
    An id that names no paper, or several (two papers with one exact title), is an error, and nothing is
    changed. A part of a title is not enough: give the whole title or an identifier.

    Example: `kg remove 2403.12345 https://doi.org/10.1145/3485447.3512056 --graph out/`.
    """
    from .update import remove_papers

    _run_and_report("remove", graph, True, lambda progress: remove_papers(ids, graph, jobs=jobs, progress=progress))


@app.command()
def extract(
    input: Annotated[Path, typer.Argument(help="A file or folder of papers.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON Lines output, one line per paper.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Extraction processes.")] = 1,
    strict: Annotated[bool, typer.Option(help="Exit with status 1, writing nothing, if the input had problems.")] = False,
    ner: Annotated[bool, typer.Option("--ner/--no-ner", help="Use the statistical NER (--no-ner: rules and "
                                      "vocabularies alone).")] = True,
    min_confidence: Annotated[Optional[float], typer.Option(
        "--min-confidence", min=0.0, max=1.0,
        help="Keep only entities at least this confident (calibrated: about that share of them is right); "
             "default: the extractor's own threshold, chosen for F1.")] = None,
    cache: Annotated[Optional[Path], typer.Option(
        "--cache", help="An extraction cache file (SQLite; created if missing): papers it knows are not "
                        "extracted again. `kg build` keeps one in OUTPUT/.cache by default.")] = None,
) -> None:
    """Extract entities per paper, in input order (DESIGN.md section 2 contract).

    Example: `kg extract papers.jsonl --output entities.jsonl`.
    """
    from .extract.pipeline import extract_papers
    from .io import atomic_open
    from .readers import path_problem, read

    missing = path_problem(input)
    if missing:
        err.print(f"kg extract: {input}: {missing}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2)
    if output.is_dir():
        err.print(f"kg extract: {output} is a folder; give the JSON Lines file to write", highlight=False, markup=False,
                  soft_wrap=True)
        raise typer.Exit(2)
    store = None
    if cache is not None:
        from .extract.cache import ExtractionCache, extractor_fingerprint

        try:
            store = ExtractionCache(cache, extractor_fingerprint(ner, None, min_confidence))
        except OSError as exc:
            err.print(f"kg extract: {exc}", highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(2) from None
    problems: list = []
    n = 0
    kept = f"nothing written, {output} left as it was"
    try:
        # The output is opened (a temporary file beside it) before any work, so an unwritable folder
        # is found at once; it replaces OUTPUT only when the run is complete and wanted.
        with atomic_open(output) as fh, _progress() as bar:
            task = bar.add_task("extracting", total=None)
            for paper, entities in extract_papers(read([input], problems), jobs=jobs, use_ner=ner,
                                                  min_confidence=min_confidence, cache=store):
                rec = {"id": paper.record_id or paper.id, "entities": [e.to_json() for e in entities]}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
                bar.update(task, completed=n)
            if n == 0 or (strict and problems):
                raise _Unwanted()
    except _Unwanted:
        _show_problems(problems)
        why = "no paper could be read from the input" if n == 0 else f"--strict and {len(problems)} problems"
        err.print(f"kg extract: {why}: {kept}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(f"interrupted: {kept}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except OSError as exc:
        target = exc.filename or output
        err.print(f"kg extract: cannot write {target}: {exc.strerror or exc}", highlight=False, markup=False,
                  soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        if store is not None:
            store.close()
    _show_problems(problems)
    cached = f", {store.hits} from the cache" if store is not None else ""
    err.print(f"{n} papers -> {output}{cached}" + (f", {len(problems)} problems" if problems else ""),
              highlight=False, markup=False, soft_wrap=True)


class _Unwanted(Exception):
    """A finished `kg extract` run whose output must not replace the old one."""


def _parse_params(params: list[str]) -> dict[str, str]:
    parsed = {}
    for p in params:
        if "=" not in p:
            raise typer.BadParameter(f"expected NAME=VALUE, got {p!r}", param_hint="--param")
        k, v = p.split("=", 1)
        parsed[k.strip()] = v
    return parsed


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, or the name of a query in ontology/queries.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports"),
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="NAME=VALUE for a named query.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    allow_federated: Annotated[bool, typer.Option(
        "--allow-federated", help="Run SERVICE clauses: requests to the endpoints a query names (refused by default).")] = False,
) -> None:
    """Run a SPARQL SELECT/ASK/CONSTRUCT query; our prefixes (kg, dcterms, skos, ...) are bound.

    Federated queries (SERVICE) are refused unless --allow-federated; so are texts nested or chained
    beyond what the parser survives, and updates (the graph is read-only).

    Examples: `kg query papers-using-dataset --param dataset=ImageNet`,
    `kg query 'SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p dcterms:title ?t }'`.
    """
    from .store import QueryError, run_query

    if format not in ("table", "csv", "json"):
        raise typer.BadParameter("choose table, csv or json", param_hint="--format")
    try:
        result = run_query(graph, sparql, _parse_params(param or []), allow_federated=allow_federated)
    except QueryError as exc:
        from rich.markup import escape

        err.print(f"[red]query failed:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if format == "csv":
        sys.stdout.write(result.to_csv())
    elif format == "json":
        sys.stdout.write(result.to_json() + "\n")
    elif result.kind == "select":
        table = Table(*result.columns)
        for row in result.rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        out.print(table)
        err.print(f"{len(result.rows)} rows")
    elif result.kind == "ask":
        out.print("true" if result.boolean else "false")
    else:
        sys.stdout.write(result.to_csv())


def _read_draft(source: Path) -> tuple[str, str]:
    """(title, abstract) of a draft: JSON {"title", "abstract"}, or text whose first line is the title."""
    text = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8", errors="replace")
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            rec = json.loads(stripped)
        except json.JSONDecodeError:
            rec = None
        if isinstance(rec, dict) and isinstance(rec.get("title"), str):
            return rec["title"], str(rec.get("abstract") or rec.get("summary") or "")
    title, _, abstract = stripped.partition("\n")
    return title.strip(), abstract.strip()


@app.command()
def related(
    paper: Annotated[Optional[str], typer.Argument(
        help="arXiv id, IRI, node key or part of a title of a paper in the graph.")] = None,
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports"),
    text: Annotated[Optional[Path], typer.Option(
        "--text", help="A draft not in the graph: a file (or - for stdin) whose first line is the title and the "
                       "rest the abstract, or JSON {\"title\", \"abstract\"}.")] = None,
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="How many papers.")] = 5,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The papers to read next for PAPER (or a draft with --text), best first, each with its reasons.

    Examples: `kg related FedLoGe --graph out/`, `kg related 2403.12345 --top 10 --format json`,
    `kg related --text draft.txt --graph out/`.
    """
    from .related import AmbiguousPaper, related as find_related

    if format not in ("table", "json"):
        raise typer.BadParameter("choose table or json", param_hint="--format")
    if (paper is None) == (text is None):
        err.print("Give a PAPER of the graph or --text FILE (a draft), not both.")
        raise typer.Exit(2)
    try:
        if text is not None:
            title, abstract = _read_draft(text)
            if not title and not abstract:
                err.print(f"{text}: empty draft")
                raise typer.Exit(2)
            found = find_related(graph, title=title, abstract=abstract, top=top)
        else:
            found = find_related(graph, paper, top=top)
    except AmbiguousPaper as exc:  # its message names the keys: the list below names them with their titles
        err.print(f"[yellow]{exc.query!r} matches {len(exc.candidates)} papers; give one of their ids or a longer "
                  "part of the title[/]", highlight=False)
        for key, title in exc.candidates[:20]:
            err.print(f"  {key}  {title}", highlight=False, markup=False)
        if len(exc.candidates) > 20:
            err.print(f"  ... and {len(exc.candidates) - 20} more")
        raise typer.Exit(1) from exc
    except (LookupError, FileNotFoundError) as exc:
        err.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from exc
    if format == "json":
        sys.stdout.write(json.dumps([s.to_json() for s in found], ensure_ascii=False, indent=1) + "\n")
        return
    from rich.text import Text

    # Titles and reasons come from papers: Text objects, so that "[...]" in them is never markup.
    table = Table("#", "score", "paper", "why")
    for i, s in enumerate(found, 1):
        table.add_row(str(i), f"{s.score:.3f}", Text(s.title + "\n") + Text(s.id, style="dim"),
                      Text("\n".join(s.reasons)))
    out.print(table)


@app.command()
def queries() -> None:
    """List the named queries (ontology/queries/*.rq) runnable by name with `kg query NAME`."""
    from .store import list_named_queries

    table = Table("name", "description")
    for name, desc in sorted(list_named_queries().items()):
        table.add_row(name, desc)
    out.print(table)


@app.command()
def stats(graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports")) -> None:
    """Counts of papers, concepts per type and links per relation in a built graph."""
    from .stats import graph_stats
    from .store import QueryError

    try:
        counts = graph_stats(graph)
    except QueryError as exc:
        err.print(f"[red]stats failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    table = Table("what", "count", title=f"paperkg graph {graph}")
    table.add_row("papers", str(counts["papers"]))
    for t, n in counts["concepts"].items():
        table.add_row("concepts: " + t, str(n))
    for r, n in counts["links"].items():
        table.add_row("links: " + r, str(n))
    out.print(table)


@app.command()
def validate(
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build` (or a .nt/.ttl file).")] = Path("exports"),
    inference: Annotated[str, typer.Option(help="pySHACL inference first: none, rdfs, owlrl or both.")] = "none",
    shapes: Annotated[Optional[Path], typer.Option(help="SHACL shapes (default ontology/shapes.ttl).")] = None,
    limit: Annotated[int, typer.Option(min=0, help="Violations to print (0: all).")] = 50,
) -> None:
    """Check an export against the SHACL shapes (ontology/shapes.ttl); exit 1 if it is invalid.

    Each violation is printed with its focus node, property path, message and offending value.
    Examples: `kg validate --graph out/`, `kg validate --graph out/kg.ttl --inference rdfs`.
    """
    from .validate import INFERENCE, validate as run_validate

    if inference not in INFERENCE:
        raise typer.BadParameter(f"choose from {', '.join(INFERENCE)}", param_hint="--inference")
    try:
        report = run_validate(graph, inference=inference, shapes=shapes)
    except FileNotFoundError as exc:
        err.print(f"[red]validate failed:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    shown = report.violations if not limit else report.violations[:limit]
    for v in shown:  # focus node, path: message (value) -- one line each, never wrapped
        out.print(str(v), soft_wrap=True, highlight=False, markup=False)
    if shown:
        if len(shown) < len(report.violations):
            err.print(f"... {len(report.violations) - len(shown)} more; by message:")
            for message, n in report.by_message().most_common():
                err.print(f"  {n:6d}  {message}", highlight=False)
    (out if report.conforms else err).print(report.summary(), soft_wrap=True, highlight=False, markup=False)
    if not report.conforms:
        raise typer.Exit(1)


@app.command()
def serve(
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports"),
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback exposes the endpoint.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 7878,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds a query may run before it is stopped.")] = 10.0,
    max_rows: Annotated[int, typer.Option(min=1, help="Most result rows a query may return.")] = 10_000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (queries run at the same time).")] = 2,
    backend: Annotated[str, typer.Option(help="Store backend: oxigraph (the persisted store) or rdflib.")] = "oxigraph",
    quiet: Annotated[bool, typer.Option(help="Do not log requests.")] = False,
    allow_federated: Annotated[bool, typer.Option(
        "--allow-federated", help="Run SERVICE clauses: the server then sends requests wherever a query says "
                                  "(refused with 400 by default).")] = False,
    cache_mb: Annotated[int, typer.Option(
        "--cache-mb", min=0, help="Memory for answers kept for repeated queries (the store is read-only, so they "
                                  "cannot go stale); 0: no cache.")] = 32,
    cors_origin: Annotated[Optional[list[str]], typer.Option(
        "--cors-origin", help="An origin (https://host[:port]) whose web pages may read the answers; repeatable; "
                              "* for any. Default: none.")] = None,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint at /sparql, with a query page at /.

    GET or POST (form or application/sparql-query); JSON, XML, CSV, TSV results, Turtle, N-Triples,
    JSON-LD for CONSTRUCT, by Accept header or `format=`. Updates are refused; a query running past
    --timeout is stopped; federated queries (SERVICE) are refused unless --allow-federated; no CORS
    headers unless --cors-origin. Examples: `kg serve --graph out/`, `kg serve --graph out/ --port 8000 --timeout 30`,
    then `curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3' localhost:7878/sparql`.
    """
    from .serve import serve as run_serve
    from .store import BACKENDS

    if backend not in BACKENDS:
        raise typer.BadParameter(f"choose from {', '.join(sorted(BACKENDS))}", param_hint="--backend")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/] binding {host}: the endpoint is reachable from other machines", highlight=False)
    if allow_federated:
        err.print("[yellow]warning:[/] --allow-federated: queries can make this server send requests to any "
                  "address, including your local network", highlight=False)
    try:
        run_serve(graph, host=host, port=port, timeout=timeout, max_rows=max_rows, workers=workers,
                  backend=backend, quiet=quiet, allow_federated=allow_federated, cors_origins=tuple(cors_origin or ()),
                  cache_bytes=cache_mb << 20)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cors-origin") from exc
    except (RuntimeError, OSError) as exc:
        err.print(f"[red]serve failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc


@app.command()
def push(
    endpoint: Annotated[str, typer.Option("--endpoint", "-e", help="Graph Store Protocol URL, e.g. http://localhost:7878/store.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build` (or a .nt/.ttl file).")] = Path("exports"),
    graph_iri: Annotated[Optional[str], typer.Option("--graph-iri", help="Named graph to write (default: the default graph).")] = None,
    replace: Annotated[bool, typer.Option("--replace/--append", help="PUT (replace the graph) or POST (add to it).")] = True,
    user: Annotated[Optional[str], typer.Option(help="HTTP basic auth user; password from $KG_PUSH_PASSWORD.")] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the server.")] = 600.0,
) -> None:
    """Upload the graph to a triple store (SPARQL 1.1 Graph Store HTTP Protocol, N-Triples).

    Examples: `kg push --endpoint http://localhost:7878/store --graph out/` (Oxigraph),
    `kg push -e http://localhost:3030/ds/data --graph-iri https://w3id.org/paperkg/ --append` (Fuseki).
    """
    from .push import PushError, push as run_push

    try:
        result = run_push(graph, endpoint, graph_iri=graph_iri, method="PUT" if replace else "POST",
                          user=user, timeout=timeout)
    except PushError as exc:
        err.print(f"[red]push failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"{result.method} {result.source} ({result.bytes:,} bytes) -> {result.url}: HTTP {result.status} "
              f"in {result.seconds:.1f} s", highlight=False)


@app.command("ontology-doc")
def ontology_doc(
    check: Annotated[bool, typer.Option(help="Only check that ontology/README.md is current (exit 1 if not).")] = False,
) -> None:
    """Regenerate ontology/README.md, the ontology reference page, from ontology/kg.ttl and shapes.ttl.

    Examples: `kg ontology-doc`, `kg ontology-doc --check` (as the tests do).
    """
    from . import ontology_doc as doc

    if check:
        if not doc.check():
            err.print(f"{doc.readme_path()} is out of date: run `kg ontology-doc`")
            raise typer.Exit(1)
        out.print(f"{doc.readme_path()} is current")
        return
    out.print(f"wrote {doc.write()}")


@app.command("store")
def store_command(
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports"),
) -> None:
    """(Re)build the persisted Oxigraph store DIR/store from DIR/kg.nt, replacing the old one atomically.

    `kg build` does this already; use it for a folder written otherwise, or one whose store is stale.
    Example: `kg store --graph out/`.
    """
    import time

    from .store import QueryError, persist_store, store_status

    started = time.perf_counter()
    try:
        path = persist_store(graph)
    except (QueryError, OSError) as exc:
        err.print(f"[red]store failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"wrote {path} ({store_status(graph)}) in {time.perf_counter() - started:.1f} s", highlight=False)


@app.command()
def view(
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build` (or its kg.nt).")] = Path("exports"),
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="HTML file to write (default: DIR/view-KIND.html).")] = None,
    kind: Annotated[Optional[str], typer.Option(help="overview (the default: concepts of 2+ papers, one region per community), papers-map (papers linked by related work), papers, cooccurrence, ego (needs --around) or communities; with --around the default is papers.")] = None,
    around: Annotated[Optional[str], typer.Option(help="Centre: a node key, a paper's arXiv id or DOI; a concept label or alias; a paper's record id, exact title or part of one (case-insensitive).")] = None,
    depth: Annotated[int, typer.Option(min=0, max=6, help="Hops around --around.")] = 1,
    types: Annotated[Optional[str], typer.Option(help="Node types to keep, e.g. Dataset,Model (Paper, Method, Model, Dataset, Task, Metric, CodeRepository).")] = None,
    max_nodes: Annotated[int, typer.Option(min=1, help="Most nodes drawn; the most connected (nearest around --around) are kept.")] = 3000,
    title: Annotated[Optional[str], typer.Option(help="Page title.")] = None,
    min_papers: Annotated[int, typer.Option(min=1, help="The overview draws concepts held by at least this many papers (1: every concept).")] = 2,
    renderer: Annotated[str, typer.Option(help="canvas (vis-network), webgl (sigma.js; opt-in: no region names or community drill-down yet) or auto (the canvas for now).")] = "auto",
) -> None:
    """Write an interactive, offline HTML view of a built graph: filter by type, search, focus, evidence.

    Examples: `kg view --graph out/` (the overview), `kg view --graph out/ --kind papers-map`,
    `kg view --graph out/ --around ImageNet --depth 2 -o imagenet.html`,
    `kg view --graph out/ --kind cooccurrence --types Dataset,Model`, `kg view --graph out/ --kind communities`,
    `kg view --graph out/ --around "attention is all you need"`, `kg view --graph out/ --around arXiv:1706.03762`.
    """
    import time

    from rich.markup import escape

    from .views import KINDS, NodeNotFound, load_graph, parse_types, write_view

    if kind is None:
        kind = "papers" if around else "overview"
    if kind not in KINDS:
        raise typer.BadParameter(f"choose from {', '.join(KINDS)}", param_hint="--kind")
    if kind == "ego" and not around:
        raise typer.BadParameter("an ego view needs --around NAME", param_hint="--around")
    if renderer not in ("auto", "canvas", "webgl"):
        raise typer.BadParameter("choose from auto, canvas, webgl", param_hint="--renderer")
    try:
        chosen = parse_types(types)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--types") from exc
    started = time.perf_counter()
    try:
        g = load_graph(graph)
    except (FileNotFoundError, OSError, SyntaxError, ValueError) as exc:
        err.print(f"[red]view failed:[/] cannot read the graph in {escape(str(graph))}: {escape(str(exc))}",
                  highlight=False)
        raise typer.Exit(2) from exc
    loaded = time.perf_counter() - started
    err.print(f"read {graph} ({g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges) in {loaded:.1f} s"
              + (" (large graphs load slowly: N-Triples parsing grows with the graph)" if loaded > 5 else ""),
              highlight=False)
    name = "ego" if around and kind == "papers" else kind
    target = output or (graph if graph.is_dir() else graph.parent) / f"view-{name}.html"
    started = time.perf_counter()
    try:
        info = write_view(g, target, kind=kind, around=around, depth=depth, types=chosen, max_nodes=max_nodes,
                          title=title, graph_dir=graph, min_papers=min_papers, renderer=renderer)
    except NodeNotFound as exc:
        err.print(f"[red]view failed:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"wrote {target}: {info.nodes_shown:,} nodes, {info.edges_shown:,} edges in "
              f"{time.perf_counter() - started:.1f} s", highlight=False)
    if info.nodes_left_out:
        groups = ", ".join(f"{n:,} {t}" for t, n in info.left_out_by_group.items())
        err.print(f"left out {info.nodes_left_out:,} of {info.nodes_total:,} nodes ({groups}): use --around NAME, "
                  f"--types or --max-nodes to see them", highlight=False)


@app.command("export")
def export_command(
    format: Annotated[str, typer.Option("--format", "-f", help="graphml, gexf, neo4j, cytoscape or node-link.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build` (or its kg.nt).")] = Path("exports"),
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="File to write (neo4j: a folder); default: in the graph folder, kg.graphml, kg.gexf, "
                               "neo4j/, kg.cyjs or kg.node-link.json.")] = None,
) -> None:
    """Write a built graph in a format other tools open: GraphML or GEXF (Gephi), Neo4j (CSV files for
    neo4j-admin, import.sh and load.cypher), Cytoscape.js JSON or networkx node-link JSON.

    Examples: `kg export --graph out/ --format gexf --output graph.gexf`,
    `kg export --graph out/ --format neo4j --output neo4j/` (then `sh neo4j/import.sh`).
    """
    import time

    from .export import EXPORT_FORMATS, export_graph
    from .rdf import read_rdf

    def fail(message: str) -> None:
        err.print(f"kg export: {message}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2)

    if format not in EXPORT_FORMATS:
        fail(f"unknown format {format!r}: choose from {', '.join(EXPORT_FORMATS)}")
    if not graph.exists():
        fail(f"{graph}: no such folder (give one written by `kg build`)")
    started = time.perf_counter()
    try:
        g = read_rdf(graph)
    except (OSError, SyntaxError, ValueError) as exc:
        fail(f"cannot read the graph in {graph}: {' '.join(str(exc).split())}")
    target = output if output is not None else (graph if graph.is_dir() else graph.parent)
    try:
        written = export_graph(g, format, target)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    where = written[0] if len(written) == 1 else written[-1].parent  # neo4j: the folder load.cypher is in
    out.print(f"wrote {where} ({format}: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges"
              + (f", {len(written)} files" if len(written) > 1 else "") + f") in {time.perf_counter() - started:.1f} s",
              highlight=False, soft_wrap=True)


class _AbsentModules:
    """A meta path finder for which importing any of `names` fails as if it were not installed."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None  # any other module: the next finder's


def _without_gpu_frameworks() -> None:
    """Keep spaCy's thinc from importing PyTorch and CuPy in this process.

    thinc imports both at its own import, if they are installed, whether or not anything uses them
    (explosion/thinc#894 did that lazily for TensorFlow only); no kg command uses either, and with
    torch installed every command started 1.3 s later and 186 MB larger (bench/README.md,
    "Extraction speed"). A finder, not `sys.modules["torch"] = None`: with that entry present, code
    that asks "is torch loaded?" through sys.modules (SciPy's and scikit-learn's array-API helpers)
    finds None and fails, so `import scipy.stats` raised AttributeError. Only the console script does
    this: `import kg` in a user's own program leaves their imports alone.
    """
    names = tuple(name for name in ("torch", "cupy") if name not in sys.modules)
    if names and not any(isinstance(finder, _AbsentModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AbsentModules(names))


def main() -> None:
    """Entry point of the `kg` console script."""
    _without_gpu_frameworks()
    app()
