"""Seeded force-directed layout in numpy, fast enough to pre-compute positions of thousands of nodes.

Fruchterman-Reingold (repulsion k²/d between all nodes, attraction d²/k along edges, a cooling step
limit) with mild gravity so that separate components stay near each other. Repulsion is exact (O(n²) per
step) for small graphs; above ``EXACT_MAX_NODES`` it is computed on a grid by FFT convolution
(particle-mesh, O(n + G² log G) per step), with the pull of nodes sharing a grid cell approximated
through the cell's centre of mass. 5,000 nodes lay out in about a second this way, where the exact
version needs half a minute. Unlinked nodes go in a grid below the drawing.

networkx's spring_layout needs SciPy from 500 nodes on and its dense version is several times slower.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache

import numpy as np

__all__ = ["layout", "force_layout", "region_layout", "EXACT_MAX_NODES"]

#: Up to this many linked nodes repulsion is computed exactly; above, on a grid.
EXACT_MAX_NODES = 1200
_GRID = 128
_SEED = 42


def layout(nodes: Sequence[Hashable], edges: Sequence[tuple], *, seed: int = _SEED,
           weights: Sequence[float] | None = None,
           groups: Mapping[Hashable, int] | None = None) -> dict[Hashable, tuple[float, float]]:
    """Pixel positions: a seeded force layout of the linked nodes, unlinked nodes in a grid below it.

    `edges` are (u, v) pairs (self loops and unknown nodes are ignored); `weights`, one per edge,
    scale the attraction; `groups` (e.g. communities) start each group in its own region.
    The same input always gives the same positions.
    """
    linked = {u for u, v, *_ in edges if u != v} | {v for u, v, *_ in edges if u != v}
    connected = [n for n in nodes if n in linked]
    alone = [n for n in nodes if n not in linked]
    pos = force_layout(connected, edges, seed=seed, weights=weights, groups=groups)
    radius = 120 + 55 * math.sqrt(len(connected)) if connected else 0.0  # about the same density at any size
    pixels = {n: (round(float(x) * radius, 1), round(float(y) * radius, 1)) for n, (x, y) in pos.items()}
    if alone:
        step = 90.0
        columns = max(1, int(2 * radius // step) + 1 if connected else math.ceil(math.sqrt(len(alone))))
        left = -step * (min(columns, len(alone)) - 1) / 2
        top = (radius + 2 * step) if connected else 0.0
        for i, n in enumerate(alone):
            pixels[n] = (round(left + step * (i % columns), 1), round(top + step * (i // columns), 1))
    return pixels


def force_layout(nodes: Sequence[Hashable], edges: Sequence[tuple], *, seed: int = _SEED,
                 weights: Sequence[float] | None = None,
                 groups: Mapping[Hashable, int] | None = None) -> dict[Hashable, tuple[float, float]]:
    """Seeded Fruchterman-Reingold positions of `nodes`, centred and scaled into the unit disc.

    With `groups`, nodes start in one disc per group (largest group in the middle, the others on a
    sunflower spiral around it) and the layout refines that with a cooler start.
    """
    n = len(nodes)
    if n <= 1:
        return {node: (0.0, 0.0) for node in nodes}
    index = {node: i for i, node in enumerate(nodes)}
    strength: dict[tuple[int, int], float] = {}
    for j, (u, v, *_) in enumerate(edges):
        if u == v or u not in index or v not in index:
            continue
        pair = (min(index[u], index[v]), max(index[u], index[v]))
        strength[pair] = strength.get(pair, 0.0) + (1.0 if weights is None else float(weights[j]))
    pairs = sorted(strength)
    src = np.array([p[0] for p in pairs], dtype=np.intp)
    dst = np.array([p[1] for p in pairs], dtype=np.intp)
    # several links between the same two nodes pull a little harder, never more than twice as hard
    pull_weight = np.minimum(np.sqrt(np.array([strength[p] for p in pairs], dtype=float)), 2.0)
    rng = np.random.RandomState(seed)
    pos = rng.rand(n, 2) - 0.5
    temperature, gravity = 0.1, 2.0
    if groups:
        pos = _grouped_start(nodes, groups, rng)
        temperature, gravity = 0.04, 1.0
    exact = n <= EXACT_MAX_NODES
    k = math.sqrt(1.0 / n)
    iterations = (60 if n <= 1000 else 45) if exact else 110
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        disp = _repulsion_exact(pos, k) if exact else _repulsion_grid(pos, k)
        e = pos[src] - pos[dst]
        pull = e * (np.sqrt(np.einsum("ij,ij->i", e, e)) / k * pull_weight)[:, None]  # attraction d²/k
        np.subtract.at(disp, src, pull)
        np.add.at(disp, dst, pull)
        disp -= (pos - pos.mean(axis=0)) * (gravity * k * math.sqrt(n))  # gravity keeps components together
        length = np.maximum(np.sqrt(np.einsum("ij,ij->i", disp, disp)), 0.01)
        pos += disp * (temperature / length)[:, None]
        temperature -= cooling
    pos -= pos.mean(axis=0)
    pos /= float(np.sqrt(np.einsum("ij,ij->i", pos, pos)).max()) or 1.0
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, pos)}


def _grouped_start(nodes: Sequence[Hashable], groups: Mapping[Hashable, int],
                   rng: np.random.RandomState) -> np.ndarray:
    """Start positions in the unit square: a disc per group, discs on a sunflower spiral by size."""
    members: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        members.setdefault(int(groups.get(node, -1)), []).append(i)
    order = sorted(members, key=lambda g: (-len(members[g]), g))
    pos = np.zeros((len(nodes), 2))
    area = 0.0
    for rank, group in enumerate(order):
        size = len(members[group])
        radius = math.sqrt(area + size / 2) if rank else 0.0
        angle = rank * 2.399963  # golden angle
        centre = np.array([radius * math.cos(angle), radius * math.sin(angle)])
        area += size
        r = np.sqrt(rng.rand(size)) * 0.5 * math.sqrt(size)
        t = rng.rand(size) * 2 * math.pi
        pos[members[group]] = centre + np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    pos /= 2.2 * math.sqrt(area) or 1.0
    return pos


def _repulsion_exact(pos: np.ndarray, k: float) -> np.ndarray:
    """Σ k² (p_i - p_j) / |p_i - p_j|² over all j: O(n²) time and memory."""
    dx = pos[:, 0, None] - pos[None, :, 0]
    dy = pos[:, 1, None] - pos[None, :, 1]
    force = dx * dx
    force += dy * dy
    np.maximum(force, 1e-4, out=force)
    np.divide(k * k, force, out=force)  # repulsion k²/d along the unit vector (dx, dy)/d
    return np.stack([np.einsum("ij,ij->i", dx, force), np.einsum("ij,ij->i", dy, force)], axis=1)


@lru_cache(maxsize=4)
def _kernel_fft(size: int) -> tuple[np.ndarray, np.ndarray]:
    """FFTs of the repulsion kernel (di, dj) / (di² + dj²) on a (2·size)² torus, in cell units."""
    offsets = np.fft.fftfreq(2 * size, 1.0 / (2 * size))  # 0, 1, ..., size-1, -size, ..., -1
    di, dj = np.meshgrid(offsets, offsets, indexing="ij")
    r2 = di * di + dj * dj
    r2[0, 0] = 1.0
    kx, ky = di / r2, dj / r2
    kx[0, 0] = ky[0, 0] = 0.0
    return np.fft.rfft2(kx), np.fft.rfft2(ky)


def _repulsion_grid(pos: np.ndarray, k: float, size: int = _GRID) -> np.ndarray:
    """Repulsion on a size² grid (FFT convolution of node counts) plus a same-cell term."""
    lo = pos.min(axis=0)
    span = float((pos.max(axis=0) - lo).max()) * (1 + 1e-9) + 1e-12
    cell = span / size
    ij = np.minimum(((pos - lo) / cell).astype(np.intp), size - 1)
    flat = ij[:, 0] * size + ij[:, 1]
    counts = np.bincount(flat, minlength=size * size)
    spectrum = np.fft.rfft2(counts.reshape(size, size).astype(float), s=(2 * size, 2 * size))
    kx, ky = _kernel_fft(size)
    fx = np.fft.irfft2(spectrum * kx, s=(2 * size, 2 * size))[:size, :size].ravel()
    fy = np.fft.irfft2(spectrum * ky, s=(2 * size, 2 * size))[:size, :size].ravel()
    disp = np.stack([fx[flat], fy[flat]], axis=1) * (k * k / cell)
    # nodes in the same cell: pushed away from the cell's centre of mass by the others in it
    crowd = counts[flat]
    many = crowd > 1
    if many.any():
        sums = np.stack([np.bincount(flat, weights=pos[:, 0], minlength=size * size),
                         np.bincount(flat, weights=pos[:, 1], minlength=size * size)], axis=1)
        centre = sums[flat[many]] / crowd[many, None]
        d = pos[many] - centre
        d2 = np.maximum(np.einsum("ij,ij->i", d, d), (0.05 * cell) ** 2)
        disp[many] += d * ((crowd[many] - 1) * k * k / d2)[:, None]
    return disp


def region_layout(nodes: Sequence[Hashable], edges: Sequence[tuple], groups: Mapping[Hashable, int], *,
                  weights: Sequence[float] | None = None, seed: int = _SEED,
                  spacing: float = 46.0) -> dict[Hashable, tuple[float, float]]:
    """Pixel positions in which each group (community) is a region of its own, as in a map of a field.

    Each group is laid out by itself (`force_layout` of its inner edges) in a disc whose area grows with
    its size; the discs are placed by a coarse force layout of the groups (linked by the summed weights of
    the edges between them, so related groups are neighbours), then pushed apart until no two overlap.
    Nodes missing from `groups` form one more group. The same input always gives the same positions.

    >>> pos = region_layout(["a", "b", "c", "d"], [("a", "b"), ("c", "d")], {"a": 0, "b": 0, "c": 1, "d": 1})
    >>> abs(pos["a"][0] - pos["b"][0]) + abs(pos["a"][1] - pos["b"][1]) < abs(pos["a"][0] - pos["c"][0]) + abs(pos["a"][1] - pos["c"][1])
    True
    """
    members: dict[int, list] = {}
    for node in nodes:
        members.setdefault(int(groups.get(node, -1)), []).append(node)
    if not members:
        return {}
    order = sorted(members, key=lambda g: (-len(members[g]), g))
    rank = {g: i for i, g in enumerate(order)}
    group_of = {node: g for g, ns in members.items() for node in ns}
    inner: dict[int, list] = {g: [] for g in order}
    inner_w: dict[int, list] = {g: [] for g in order}
    between: dict[tuple[int, int], float] = {}
    for j, (u, v, *_) in enumerate(edges):
        if u == v or u not in group_of or v not in group_of:
            continue
        w = 1.0 if weights is None else float(weights[j])
        a, b = group_of[u], group_of[v]
        if a == b:
            inner[a].append((u, v))
            inner_w[a].append(w)
        else:
            key = (min(rank[a], rank[b]), max(rank[a], rank[b]))
            between[key] = between.get(key, 0.0) + w
    # a region's radius: about `spacing` pixels between neighbours inside it
    radius = np.array([spacing * (0.6 + 0.55 * math.sqrt(len(members[g]))) for g in order])
    centres = _place_regions(radius, between, seed)
    pixels: dict[Hashable, tuple[float, float]] = {}
    for i, g in enumerate(order):
        inside = force_layout(members[g], inner[g], seed=seed, weights=inner_w[g])
        cx, cy = centres[i]
        for node in members[g]:
            x, y = inside[node]
            pixels[node] = (round(float(cx + x * radius[i]), 1), round(float(cy + y * radius[i]), 1))
    return pixels


def _place_regions(radius: np.ndarray, between: Mapping[tuple[int, int], float], seed: int) -> np.ndarray:
    """Centres of discs of the given radii: a force layout of the region graph, then overlaps removed
    (pairs pushed apart, everything pulled gently to the middle so that the map stays compact)."""
    n = len(radius)
    if n == 1:
        return np.zeros((1, 2))
    coarse = force_layout(list(range(n)), [(a, b) for a, b in sorted(between)], seed=seed,
                          weights=[math.log1p(between[p]) for p in sorted(between)],
                          groups={i: i for i in range(n)})
    pos = np.array([coarse[i] for i in range(n)], dtype=float)
    scale = float(math.sqrt((radius ** 2).sum())) * 1.6
    pos *= scale
    gap = 0.35 * float(radius.mean()) + 30.0  # room between regions for their names
    need = radius[:, None] + radius[None, :] + gap
    np.fill_diagonal(need, 0.0)
    for step in range(400):
        d = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((d ** 2).sum(axis=2))
        np.fill_diagonal(dist, np.inf)
        short = np.maximum(need - dist, 0.0)
        np.fill_diagonal(short, 0.0)
        if step >= 200 and not short.any():
            break
        unit = d / np.maximum(dist, 1e-9)[:, :, None]
        push = (unit * (short / 2)[:, :, None]).sum(axis=1)
        pull = -pos * (0.02 if step < 300 else 0.0)  # compaction first, then only separation
        pos += push + pull
    pos -= pos.mean(axis=0)
    return pos
