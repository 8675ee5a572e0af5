"""The page around a view's data: jinja2 templates and static files shipped in the package.

kg/views/templates/page.html.j2 is the page; kg/views/static/ holds its CSS and JavaScript (panel.js, the
panel, legend, filters and search box both renderers share, then page.js for vis-network or page-webgl.js
for sigma.js) and the vendored libraries (static/vendor/vis-network, sigma and
graphology, each with its licences and VERSION). Everything is inlined so that the
page is one file that opens from disk without any request.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

__all__ = ["render_page", "read_page_data", "script_json", "static_text", "VIS_NETWORK_JS", "SIGMA_JS",
           "GRAPHOLOGY_JS"]

#: The vendored vis-network build (the canvas renderer), relative to kg/views/static/.
VIS_NETWORK_JS = "vendor/vis-network/vis-network.min.js"
#: The vendored sigma.js and graphology UMD builds (the WebGL renderer, static/page-webgl.js).
SIGMA_JS = "vendor/sigma/sigma.min.js"
GRAPHOLOGY_JS = "vendor/graphology/graphology.umd.min.js"


def script_json(value: Any) -> str:
    """JSON safe to place inside a <script> element: sorted, ASCII-only, <, > and & as \\u escapes.

    >>> script_json({"b": "</script>", "a": 1})
    '{"a":1,"b":"\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=None)
def static_text(name: str) -> str:
    """A file of kg/views/static/, checked not to close the element it is inlined into.

    >>> "paperkg" in static_text("page.js")
    True
    """
    text = resources.files("kg.views").joinpath("static", *name.split("/")).read_text(encoding="utf-8")
    for bad in ("</script", "</style", "<!--"):
        if bad in text.lower():
            raise RuntimeError(f"{name} contains {bad!r}: cannot be inlined safely")
    return text


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # autoescape: every value from Python is escaped unless the template marks it safe (the checked
    # static files and script_json's output).
    loader = jinja2.PackageLoader("kg.views", "templates")
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.globals["static"] = lambda name: jinja2.utils.markupsafe.Markup(static_text(name))
    env.filters["script_json"] = lambda value: jinja2.utils.markupsafe.Markup(script_json(value))
    return env


def render_page(template: str = "page.html.j2", **context: Any) -> str:
    """Render one of kg/views/templates/ with `context` (values are HTML-escaped by the template).

    >>> page = render_page(title="<t>", summary="", description="", notice=None, legend=[], data={},
    ...                    filters=None, vendor_js=[], page_js="page.js")
    >>> page.startswith("<!DOCTYPE html>"), "&lt;t&gt;" in page, "<t>" in page
    (True, True, False)
    """
    return _environment().get_template(template).render(**context)


def read_page_data(page: str) -> dict:
    """The data a page written by kg.views carries in <script type="application/json" id="paperkg-data">:
    {"nodes": [{id, label, kind, type, community, x, y, size, papers, ...}], "edges": [{source, target,
    relation, ...}], "communities": [{id, label, size, ...}], ...}, positions as drawn.

    >>> page = '<script type="application/json" id="paperkg-data">{"nodes":[],"t":"\\\\u003cb\\\\u003e"}</script>'
    >>> read_page_data(page)
    {'nodes': [], 't': '<b>'}
    """
    start = page.index(_DATA_TAG)
    return json.loads(page[start + len(_DATA_TAG):page.index("</script>", start)])


_DATA_TAG = '<script type="application/json" id="paperkg-data">'
