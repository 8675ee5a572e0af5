"""Which node labels a map draws at first: the most important nodes of each community, no two overlapping.

vis-network draws the label of a dot below it, in canvas units that scale with the zoom exactly as the
positions do, so labels that do not overlap in canvas units do not overlap at any zoom. The boxes here are
estimates from the text length (a wide average glyph, plus the white outline vis-network strokes around
the text); tests/test_view_overview.py measures the boxes the browser really draws.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["label_box", "choose_labels", "overlaps", "title_box", "place_titles"]

#: Average glyph width of system-ui as a share of the font size, rounded up (digits and capitals are wider
#: than the 0.5 of lowercase text); the box also takes in the white outline and a little air.
GLYPH_WIDTH = 0.64


def label_box(x: float, y: float, size: float, text: str, font_size: float = 14) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the label vis-network draws below a dot of radius `size` at (x, y),
    in canvas units, a little larger than drawn (measured in Chromium: tests/test_view_overview.py).

    >>> label_box(0, 0, 10, "BERT", 14)
    (-21.42, 10.0, 21.42, 36.4)
    """
    half = len(text) * GLYPH_WIDTH * font_size / 2 + 0.25 * font_size
    top = float(y + size)
    return (round(x - half, 2), round(top, 2), round(x + half, 2), round(top + 1.6 * font_size + 4.0, 2))


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two (left, top, right, bottom) boxes share any area.

    >>> overlaps((0, 0, 10, 10), (5, 5, 20, 20)), overlaps((0, 0, 10, 10), (10, 0, 20, 10))
    (True, False)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def choose_labels(nodes: Iterable[Mapping[str, Any]], *, per_community: int = 8, font_size: float = 14,
                  obstacles: Iterable[tuple[float, float, float, float]] = ()) -> set[str]:
    """Ids of the nodes whose labels to draw: in turn, each community's next most important node (by
    `papers`, then `size`) whose label box overlaps no label already chosen nor any of `obstacles`, up to
    `per_community` labels per community. Nodes are records with id, label, x, y, size, community, papers.

    >>> nodes = [{"id": "a", "label": "alpha", "x": 0, "y": 0, "size": 10, "community": 0, "papers": 5},
    ...          {"id": "b", "label": "beta", "x": 5, "y": 2, "size": 10, "community": 0, "papers": 3},
    ...          {"id": "c", "label": "gamma", "x": 300, "y": 0, "size": 10, "community": 1, "papers": 2}]
    >>> sorted(choose_labels(nodes))
    ['a', 'c']
    """
    by_community: defaultdict[Any, list] = defaultdict(list)
    for n in nodes:
        by_community[n.get("community")].append(n)
    queues = []
    for c in sorted(by_community, key=lambda c: (c is None, -1 if c is None else c)):
        members = sorted(by_community[c], key=lambda n: (-(n.get("papers") or 0), -float(n.get("size") or 0),
                                                         str(n["id"])))
        queues.append(members)
    placed = list(obstacles)
    # a coarse grid of placed boxes keeps the overlap test near-linear for thousands of candidates
    cell = 200.0
    grid: defaultdict[tuple[int, int], list] = defaultdict(list)

    def cells(box: tuple[float, float, float, float]) -> Iterable[tuple[int, int]]:
        for i in range(int(box[0] // cell), int(box[2] // cell) + 1):
            for j in range(int(box[1] // cell), int(box[3] // cell) + 1):
                yield i, j

    for box in placed:
        for key in cells(box):
            grid[key].append(box)
    chosen: set[str] = set()
    counts = [0] * len(queues)
    cursor = [0] * len(queues)
    active = True
    while active:
        active = False
        for q, members in enumerate(queues):
            while counts[q] < per_community and cursor[q] < len(members):
                n = members[cursor[q]]
                cursor[q] += 1
                box = label_box(float(n["x"]), float(n["y"]), float(n.get("size") or 10), str(n.get("label") or ""),
                                font_size)
                if any(overlaps(box, other) for key in cells(box) for other in grid[key]):
                    continue
                for key in cells(box):
                    grid[key].append(box)
                chosen.add(str(n["id"]))
                counts[q] += 1
                active = True
                break
    return chosen


#: Region names are drawn bold, a little larger than node labels.
TITLE_GLYPH_WIDTH = 0.66


def title_box(x: float, y: float, text: str, font_size: float = 20) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a region name drawn centred on x with its bottom at y.

    >>> title_box(0, 0, "NLP", 20)
    (-23.8, -26.0, 23.8, 0.0)
    """
    half = len(text) * TITLE_GLYPH_WIDTH * font_size / 2 + 4.0
    return (round(x - half, 2), round(y - 1.3 * font_size, 2), round(x + half, 2), float(y))


def place_titles(regions: Iterable[Mapping[str, Any]], nodes: Iterable[Mapping[str, Any]], *,
                 font_size: float = 20) -> list[dict[str, Any]]:
    """Names of regions: for each region (records with id and label, largest first), just above its
    highest node, else just below its lowest; the name as drawn is its first two parts ("a · b · c" ->
    "a · b"), or only the first, whichever is the first not to overlap a name already placed (else none).

    Returns records {"id", "text", "x", "y", "box"}: the text is drawn centred on x, its bottom at y.

    >>> place_titles([{"id": 0, "label": "a · b · c"}], [{"x": 0, "y": 10, "size": 5, "community": 0}])
    [{'id': 0, 'text': 'a · b', 'x': 0.0, 'y': -1.0, 'box': (-37.0, -27.0, 37.0, -1.0)}]
    """
    members: defaultdict[Any, list] = defaultdict(list)
    for n in nodes:
        members[n.get("community")].append(n)
    placed: list[dict[str, Any]] = []
    for region in regions:
        mine = members.get(region["id"])
        if not mine or not region.get("label"):
            continue
        xs = [float(n["x"]) for n in mine]
        x = round((min(xs) + max(xs)) / 2, 1)
        above = round(min(float(n["y"]) - float(n.get("size") or 10) for n in mine) - 6.0, 1)
        # below: under the lowest node's label
        below = round(max(float(n["y"]) + float(n.get("size") or 10) for n in mine) + 3.2 * font_size, 1)
        parts = str(region["label"]).split(" · ")
        for y, text in ((above, " · ".join(parts[:2])), (above, parts[0]), (below, " · ".join(parts[:2])),
                        (below, parts[0])):
            box = title_box(x, y, text, font_size)
            if not any(overlaps(box, other["box"]) for other in placed):
                placed.append({"id": region["id"], "text": text, "x": x, "y": y, "box": box})
                break
    return placed
