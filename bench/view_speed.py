"""View speed: write a view of real-looking data (default: the overview `kg build` writes) and time it in
headless Chromium.

    python -m bench.view_speed                          # synthetic corpus (make_corpus.py), build, measure
    python -m bench.view_speed --kind papers --nodes 5000  # the papers view, 5,000 most connected nodes
    python -m bench.view_speed --graph out/ --nodes 5000  # an existing `kg build` folder
    python -m bench.view_speed --kind papers --nodes 20000 --renderer webgl  # sigma.js (WebGL) vs --renderer canvas
    python -m bench.view_speed --screenshot docs/demo-view.png --kind papers   # README: the demo, ImageNet searched
    python -m bench.view_speed --screenshot docs/overview.png --graph exports/  # README: the demo's overview
    python -m bench.view_speed --screenshot docs/papers-map.png --kind papers-map --graph exports/

The graph: `../shared/bench/make_corpus.py N` (sentences of the real demo abstracts recombined, a long tail
of entity names) built with kg.build.build_graph and cached as RDF under --cache; the view draws the
`--nodes` most connected nodes of it (kg.views.write_html, the page `kg build` and `kg view` write).

Figures, each the median of --runs page loads in a fresh browser context (Debian's Chromium, headless,
through Playwright): write (Python: choose, lay out, render, write the page), page size, and in the page,
milliseconds after navigation start: script start (HTML and JSON parsed), network built (vis-network's
data sets and Network), first draw, interactive (drawn and every handler wired: search, legend, click);
then latencies once interactive: select a node (highlight + side panel, to the next painted frame), hide a
node type from the legend, one redraw of the whole view, search for a label. Node and edge counts are read
back from the page. Figures go to bench/README.md ("## View speed").
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"
CHROMIUM = Path(os.environ.get("PAPERKG_CHROMIUM", "/usr/bin/chromium"))
# --enable-unsafe-swiftshader: with no GPU, WebGL (the sigma.js page) runs on SwiftShader, Chromium's
# software GL (see tests/browser.py); figures for --renderer webgl are therefore CPU-bound
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader"]

_MEASURE = """async () => {
    // one script for both renderers: vis-network (canvas, page.js) and sigma.js (WebGL, page-webgl.js)
    const webgl = DATA.renderer === "webgl";
    const frame = () => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const drawn = () => new Promise(resolve => webgl ? renderer.once("afterRender", () => resolve())
                                                     : network.once("afterDrawing", () => resolve()));
    const out = {renderer: webgl ? "webgl" : "canvas"};
    const ids = DATA.nodes.map(n => n.id);  // what the page draws (a large map: its communities at first)
    out.drawn_at_first = webgl ? graph.order : nodes.length;
    const target = DATA.nodes.filter(n => n.kind !== "Paper").sort((a, b) => b.size - a.size || (a.id < b.id ? -1 : 1))[0].id;
    let t = performance.now();
    paperkg.focus(target, false);
    await frame();
    out.select_ms = performance.now() - t;
    t = performance.now();
    paperkg.clear();
    await frame();
    out.clear_ms = performance.now() - t;
    if (paperkg.aggregate) paperkg.back();
    if (webgl) renderer.getCamera().setState({x: 0.5, y: 0.5, ratio: 1, angle: 0}); else network.fit({animation: false});
    await frame();
    t = performance.now();
    let wait = drawn();
    if (webgl) renderer.refresh(); else network.redraw();
    await wait;
    out.redraw_ms = performance.now() - t;
    t = performance.now();
    wait = webgl ? drawn() : null;  // sigma redraws on its next frame after the toggle; vis-network too
    paperkg.toggle("group", "Method");
    if (!webgl) wait = drawn();
    await wait;
    out.legend_ms = performance.now() - t;
    paperkg.toggle("group", "Method");
    const label = paperkg.catalog[paperkg.index.get(target)].label;
    t = performance.now();
    out.search_hits = paperkg.search(label.slice(0, 4), 12).length;
    out.search_ms = performance.now() - t;
    out.nodes = ids.length;
    out.edges = paperkg.edgeCount;
    out.canvas_edges = paperkg.canvasEdges;
    return out;
}"""


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    """CPU model, cores, memory, load, Python and Chromium versions: one line."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages * size / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "?"
    try:
        chromium = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "no chromium"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({model or platform.machine()}), {memory}, load average {load}; "
            f"Python {platform.python_version()}; {chromium}")


def synthetic_graph(papers: int, cache: Path):
    """The graph of make_corpus.py `papers` records, built once and cached as RDF under `cache`."""
    from kg.build import build_graph
    from kg.rdf import write_rdf
    from kg.views import load_graph

    folder = cache / f"g{papers}"
    if not (folder / "kg.nt").exists():
        corpus = cache / f"c{papers}.jsonl"
        if not corpus.exists():
            if not MAKE_CORPUS.exists():
                sys.exit(f"no {MAKE_CORPUS}: give --graph DIR instead")
            cache.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, str(MAKE_CORPUS), str(papers), str(corpus)], check=True)
        started = time.perf_counter()
        g, report = build_graph([corpus], jobs=os.cpu_count() or 1)
        print(f"built {corpus.name}: {report.papers:,} papers, {g.number_of_nodes():,} nodes in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        write_rdf(g, folder)
    started = time.perf_counter()
    g = load_graph(folder)
    print(f"loaded {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return g, folder


def _launch(pw):
    if not CHROMIUM.exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PAPERKG_CHROMIUM)")
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def _page(browser, path: Path, width: int = 1280, height: int = 800, scale: float = 1.0):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                  service_workers="block")
    context.route(lambda u: not u.startswith(("file:", "data:")), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.paperkgDrawn === true && window.paperkgReady === true", timeout=120_000)
    return page, errors


def measure_page(path: Path, runs: int) -> list[dict]:
    """Load the page `runs` times, each in a fresh context; the page's own timings plus latencies."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = _launch(pw)
        try:
            for _ in range(runs):
                page, errors = _page(browser, path)
                times = page.evaluate("window.paperkgTimes")
                figures = page.evaluate(_MEASURE)
                figures.update({f"{k}_ms": v for k, v in times.items()})
                figures["interactive_ms"] = max(times["drawn"], times["ready"])
                figures["errors"] = errors
                results.append(figures)
                page.context.close()
        finally:
            browser.close()
    return results


def screenshot(out: Path, *, around: str = "ImageNet", graph: Path | None = None, kind: str = "overview") -> dict:
    """A README screenshot of the demo at 1280x800: the page of `kind` as it opens (overview, papers-map),
    or for kind "papers" the papers view with `around` searched and selected (highlighted neighbourhood,
    side panel with evidence). The demo graph is built here, or read from `graph` (a `kg build --demo`
    folder)."""
    from playwright.sync_api import sync_playwright

    from kg.views import write_view

    if graph is not None:
        from kg.views import load_graph

        g = load_graph(graph)
    else:
        from kg.build import build_graph, demo_corpus

        g, _ = build_graph([demo_corpus()])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.html"
        info = write_view(g, path, kind=kind, graph_dir="exports", title=None)
        with sync_playwright() as pw:
            browser = _launch(pw)
            try:
                page, errors = _page(browser, path)
                if kind != "papers":
                    page.mouse.move(2, 2)
                    page.wait_for_timeout(300)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out))
                    if errors:
                        sys.exit(f"page errors: {errors}")
                    return {"nodes": info.nodes_shown, "edges": info.edges_shown, "left_out": info.nodes_left_out}
                page.click("#search")
                page.keyboard.type(around, delay=20)
                page.wait_for_selector("#suggestions li", state="visible")
                page.keyboard.press("Enter")
                page.wait_for_function("network.getSelectedNodes().length === 1")
                page.wait_for_timeout(900)  # the focus animation
                page.mouse.move(300, 20)  # no tooltip in the picture
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                if errors:
                    sys.exit(f"page errors: {errors}")
            finally:
                browser.close()
    return {"nodes": info.nodes_shown, "edges": info.edges_shown, "left_out": info.nodes_left_out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", type=Path, help="a `kg build` folder (default: build a synthetic corpus)")
    parser.add_argument("--papers", type=int, default=6000, help="records of the synthetic corpus (default 6000)")
    parser.add_argument("--nodes", type=int, default=5000, help="nodes drawn (the view's max_nodes; default 5000)")
    parser.add_argument("--kind", default="overview", help="the view: overview (default, graph.html), papers, papers-map, ...")
    parser.add_argument("--renderer", default="auto", choices=["auto", "canvas", "webgl"],
                        help="the page's renderer: canvas (vis-network), webgl (sigma.js) or auto (default)")
    parser.add_argument("--runs", type=int, default=3, help="page loads to take the median of (default 3)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "paperkg-bench",
                        help="where the synthetic corpus and its graph are kept between runs")
    parser.add_argument("--keep", type=Path, help="also keep the measured page here")
    parser.add_argument("--screenshot", type=Path, help="write a screenshot of the demo view here and stop")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    if args.screenshot:
        shown = screenshot(args.screenshot, graph=args.graph, kind=args.kind)
        print(f"wrote {args.screenshot}: demo {args.kind}, {shown['nodes']:,} nodes, {shown['edges']:,} edges, "
              f"{shown['left_out']:,} left out")
        return 0

    from kg.views import write_view

    if args.graph:
        from kg.views import load_graph

        started = time.perf_counter()
        g = load_graph(args.graph)
        print(f"loaded {args.graph} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        source = str(args.graph)
    else:
        g, folder = synthetic_graph(args.papers, args.cache)
        source = f"make_corpus.py {args.papers} -> {folder}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "view.html"
        writes = []
        for _ in range(2):
            started = time.perf_counter()
            info = write_view(g, path, kind=args.kind, max_nodes=args.nodes, title=None, renderer=args.renderer)
            writes.append(time.perf_counter() - started)
        size = path.stat().st_size
        if args.keep:
            args.keep.write_bytes(path.read_bytes())
        results = measure_page(path, args.runs)

    errors = sorted({e for r in results for e in r["errors"]})
    keys = ["script_ms", "network_ms", "drawn_ms", "interactive_ms", "select_ms", "clear_ms", "legend_ms",
            "redraw_ms", "search_ms"]
    figures = {k: _median([r[k] for r in results]) for k in keys}
    summary = {
        "machine": machine(), "graph": source, "renderer": results[0]["renderer"], "graph_nodes": g.number_of_nodes(), "graph_edges": g.number_of_edges(),
        "nodes_drawn": results[0]["nodes"], "edges_drawn": results[0]["edges"], "canvas_edges": results[0]["canvas_edges"],
        "view_info": {"nodes_shown": info.nodes_shown, "edges_shown": info.edges_shown,
                      "nodes_left_out": info.nodes_left_out},
        "write_s": min(writes), "write_first_s": writes[0], "page_mb": size / 2**20, "runs": len(results),
        "medians_ms": figures, "all_runs": results, "errors": errors,
    }
    rows = [
        ("graph", f"{g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges ({source})"),
        ("view drawn (read back from the page)", f"{args.kind}, {summary['renderer']}: {summary['nodes_drawn']:,} nodes, {summary['edges_drawn']:,} edges"
                                                  f"{' (canvas-drawn edges)' if summary['canvas_edges'] else ''}"
                                                  f"; at first {results[0]['drawn_at_first']:,} nodes"),
        ("write (Python: select, lay out, render, write)", f"{summary['write_s']:.2f} s (first {writes[0]:.2f} s)"),
        ("page size", f"{summary['page_mb']:.1f} MiB"),
        ("script start (HTML + data parsed)", f"{figures['script_ms']:.0f} ms"),
        ("network built (vis-network data sets + Network; WebGL: graphology graph)", f"{figures['network_ms']:.0f} ms"),
        ("first draw", f"{figures['drawn_ms']:.0f} ms"),
        ("interactive (drawn, every handler wired)", f"{figures['interactive_ms']:.0f} ms"),
        ("select a node (highlight + side panel, painted)", f"{figures['select_ms']:.0f} ms"),
        ("clear the selection", f"{figures['clear_ms']:.0f} ms"),
        ("hide a node type from the legend (to next draw)", f"{figures['legend_ms']:.0f} ms"),
        ("redraw the whole view", f"{figures['redraw_ms']:.0f} ms"),
        ("search (12 suggestions)", f"{figures['search_ms']:.1f} ms"),
    ]
    print(f"paperkg view speed, median of {len(results)} page loads (ms after navigation start)")
    print(f"machine: {summary['machine']}")
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    if errors:
        print(f"page errors: {errors}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
