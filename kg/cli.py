"""The `kg` command line: thin wrappers that parse arguments, call the library and render with rich."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Extraction processes.")] = 1,
    strict: Annotated[bool, typer.Option(help="Exit with status 1 if any input had problems.")] = False,
    html: Annotated[bool, typer.Option(help="Write graph.html.")] = True,
) -> None:
    """Build the graph: kg.ttl, kg.nt, kg.jsonld and graph.html in OUTPUT.

    Examples: `kg build --demo`, `kg build papers.jsonl listings/ --output out/ --jobs 2`.
    """
    from .build import build as run_build, demo_corpus
    from .io import atomic_write_text

    sources = list(inputs or [])
    if demo:
        sources.append(demo_corpus())
    if not sources:
        err.print("Nothing to build: give input files or folders, or --demo.")
        raise typer.Exit(2)
    with _progress() as bar:
        task = bar.add_task("extracting", total=None)
        _, report = run_build(sources, output, jobs=jobs, html=html,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    log = output / "problems.log"
    if report.problems:
        atomic_write_text(log, "".join(f"{p}\n" for p in report.problems))
        _show_problems(report.problems, log)
    table = Table(title=f"paperkg build -> {output}", show_header=False)
    table.add_row("records read", str(report.records))
    table.add_row("papers", str(report.papers))
    table.add_row("duplicates merged", str(report.duplicates_merged))
    for t, n in report.concepts_by_type.items():
        table.add_row(f"concepts: {t}", str(n))
    for rel, n in report.links_by_relation.items():
        table.add_row(f"links: {rel}", str(n))
    table.add_row("related-paper links", str(report.related_pairs))
    table.add_row("problems (records skipped)", f"{len(report.problems)} ({report.skipped})")
    for name, path in report.outputs.items():
        table.add_row(f"wrote {name}", str(path))
    out.print(table)
    if strict and report.problems:
        raise typer.Exit(1)


@app.command()
def extract(
    input: Annotated[Path, typer.Argument(help="A file or folder of papers.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON Lines output, one line per paper.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Extraction processes.")] = 1,
    strict: Annotated[bool, typer.Option(help="Exit with status 1 if any input had problems.")] = False,
) -> None:
    """Extract entities per paper, in input order (DESIGN.md section 2 contract).

    Example: `kg extract papers.jsonl --output entities.jsonl`.
    """
    from .extract.pipeline import extract_papers
    from .io import atomic_open
    from .readers import read

    problems: list = []
    n = 0
    with atomic_open(output) as fh, _progress() as bar:
        task = bar.add_task("extracting", total=None)
        for paper, entities in extract_papers(read([input], problems), jobs=jobs):
            rec = {"id": paper.record_id or paper.id, "entities": [e.to_json() for e in entities]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
            bar.update(task, completed=n)
    _show_problems(problems)
    err.print(f"{n} papers -> {output}" + (f", {len(problems)} problems" if problems else ""))
    if strict and problems:
        raise typer.Exit(1)


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
) -> None:
    """Run a SPARQL SELECT/ASK/CONSTRUCT query; our prefixes (kg, dcterms, skos, ...) are bound.

    Examples: `kg query papers-using-dataset --param dataset=ImageNet`,
    `kg query 'SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p dcterms:title ?t }'`.
    """
    from .store import QueryError, run_query

    if format not in ("table", "csv", "json"):
        raise typer.BadParameter("choose table, csv or json", param_hint="--format")
    try:
        result = run_query(graph, sparql, _parse_params(param or []))
    except QueryError as exc:
        err.print(f"[red]query failed:[/] {exc}", highlight=False)
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


@app.command()
def queries() -> None:
    """List the named queries (ontology/queries/*.rq) runnable by name with `kg query NAME`."""
    from .store import list_named_queries

    table = Table("name", "description")
    for name, desc in sorted(list_named_queries().items()):
        table.add_row(name, desc)
    out.print(table)


STATS_QUERIES = {
    "papers": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Paper }",
    "concepts": "SELECT ?t (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a ?t . VALUES ?t { kg:Method kg:Model kg:Dataset kg:Task kg:Metric } } GROUP BY ?t ORDER BY ?t",
    "links": "SELECT ?r (COUNT(*) AS ?n) WHERE { ?p ?r ?c . ?p a kg:Paper . VALUES ?r { kg:proposes kg:uses kg:evaluatesOn kg:comparesWith kg:addresses kg:mentions kg:codeRepository kg:relatedTo } } GROUP BY ?r ORDER BY ?r",
}


@app.command()
def stats(graph: Annotated[Path, typer.Option("--graph", "-g", help="Folder written by `kg build`.")] = Path("exports")) -> None:
    """Counts of papers, concepts per type and links per relation in a built graph."""
    from .store import QueryError, open_store, run_query

    try:
        store = open_store(graph)
        table = Table("what", "count", title=f"paperkg graph {graph}")
        table.add_row("papers", run_query(store, STATS_QUERIES["papers"]).rows[0][0])
        for t, n in run_query(store, STATS_QUERIES["concepts"]).rows:
            table.add_row("concepts: " + t.rsplit("#", 1)[-1], n)
        for r, n in run_query(store, STATS_QUERIES["links"]).rows:
            table.add_row("links: " + r.rsplit("#", 1)[-1], n)
    except QueryError as exc:
        err.print(f"[red]stats failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(table)


def main() -> None:
    """Entry point of the `kg` console script."""
    app()
