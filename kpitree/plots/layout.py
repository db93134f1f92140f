"""A layered (Sugiyama-style) layout of a tree's graph: the KGI on top, inputs below.

Boxes of any size are placed in horizontal layers without overlapping:

1. layers: a node's layer is the longest path from it to a node nothing reads (the KGI is
   always one of those, so it sits in layer 0, the top); edges that would close a cycle (reads
   of an earlier period such as ``prev(mrr)``) and edges leaving the KGI are left out of the
   layering and drawn as "back" edges;
2. an edge spanning several layers gets a dummy point in each layer it crosses, so the edge
   runs between boxes instead of through them;
3. order within layers: barycentre sweeps down and up, keeping the order with the fewest
   crossings;
4. x: each node is pulled towards the mean x of its neighbours, subject to keeping its order
   and a gap to its neighbours in the layer; that constrained least-squares problem is an
   isotonic regression after a change of variables (``scipy.optimize.isotonic_regression``).

Hand-written rather than Graphviz: no binary to install, and networkx has no layered layout
that takes box sizes into account.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.optimize import isotonic_regression

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A node's box: centre ``(x, y)``, size, and layer (0 is the top)."""

    name: str
    x: float
    y: float
    width: float
    height: float
    layer: int

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y - self.height / 2

    @property
    def top(self) -> float:
        return self.y + self.height / 2

    def overlaps(self, other: Box) -> bool:
        """True when the two boxes share more than an edge."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.bottom < other.top
            and other.bottom < self.top
        )


@dataclass(frozen=True)
class Edge:
    """An edge from ``source`` (read) to ``target`` (reader) along ``points``.

    ``layered`` edges go up from a lower layer to a higher one and their points avoid every box;
    back edges (``layered`` False) have two points, their ends, and are drawn as curves.
    """

    source: str
    target: str
    lag: int
    layered: bool
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Layout:
    """Boxes and edges in one coordinate system with ``(0, 0)`` at the bottom left."""

    boxes: dict[str, Box]
    edges: tuple[Edge, ...]
    layers: tuple[tuple[str, ...], ...]
    """The nodes of each layer, left to right (layer 0 first)."""
    width: float
    height: float


def layered_layout(
    graph: nx.DiGraph,
    root: str,
    sizes: Mapping[str, tuple[float, float]],
    *,
    gap_x: float = 20.0,
    gap_y: float = 40.0,
    sweeps: int = 12,
) -> Layout:
    """Place every node of ``graph`` as a box, ``root`` in the top layer.

    Parameters
    ----------
    graph : networkx.DiGraph
        Edges go from a node to the nodes that read it; an edge attribute ``lag`` > 0 marks a
        read of an earlier period only, ``reads_back`` > 0 a read of earlier periods besides
        the same period's (a cohort's flow); the drawn edge's ``lag`` is either.
    root : str
        The node drawn at the top (the KGI).
    sizes : mapping
        ``(width, height)`` of each node's box.
    gap_x, gap_y : float
        Smallest horizontal gap between boxes of a layer; vertical gap between layers.
    sweeps : int
        Barycentre passes (each one down and one up).

    Returns
    -------
    Layout
    """
    dag, back = _layering_graph(graph, root)
    layer = _layers(dag)
    chains, order = _add_dummies(dag, layer, graph)
    order = _minimise_crossings(order, chains, sweeps)
    widths = {name: sizes[name][0] for name in graph}
    heights = {name: sizes[name][1] for name in graph}
    # A loop (prev(x) in x's formula) is drawn on the box's right side: leave room for it.
    loops = {u: heights[u] / 2 for u, v in graph.edges if u == v}
    xs = _x_positions(order, chains, widths, gap_x, loops)
    band = [max((heights.get(name, 0.0) for name in row), default=0.0) for row in order]
    ys = [0.0]
    for index in range(1, len(order)):
        ys.append(ys[-1] - band[index - 1] / 2 - gap_y - band[index] / 2)
    left = min(xs[name] - widths.get(name, 0.0) / 2 for row in order for name in row)
    bottom = ys[-1] - band[-1] / 2
    boxes = {
        name: Box(
            name,  # type: ignore[arg-type]
            xs[name] - left,
            ys[index] - bottom,
            widths[name],
            heights[name],
            index,
        )
        for index, row in enumerate(order)
        for name in row
        if name in graph
    }
    right = max(box.right for box in boxes.values())
    top = max(box.top for box in boxes.values())
    edges = [
        _layered_edge(u, v, _drawn_lag(graph, u, v), chains, boxes, xs, ys, band, left, bottom)  # type: ignore[arg-type]
        for u, v in dag.edges
    ]
    edges = _spread_ends(edges, boxes)  # type: ignore[arg-type]
    edges += [_back_edge(u, v, _drawn_lag(graph, u, v), boxes) for u, v in back]  # type: ignore[arg-type]
    real_layers = tuple(tuple(name for name in row if name in graph) for row in order)
    return Layout(boxes, tuple(edges), real_layers, right, top)  # type: ignore[arg-type]


def _drawn_lag(graph: nx.DiGraph, u: str, v: str) -> int:
    """The edge's lag, or for a reader that also reads earlier periods (a cohort reads its
    flow this period and before) the fewest periods it reads back: drawn dashed either way."""
    data = graph.edges[u, v]
    return int(data["lag"] or data.get("reads_back", 0))


def _layering_graph(graph: nx.DiGraph, root: str) -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    """Same-period edges, then earlier-period edges that keep the graph acyclic."""
    dag = nx.DiGraph()
    dag.add_nodes_from(graph)
    back: list[tuple[str, str]] = []
    # Same-period edges first: the tree guarantees they have no cycle.
    ordered = sorted(graph.edges(data="lag"), key=lambda edge: edge[2] > 0)
    for u, v, lag in ordered:
        if u in (v, root) or (lag > 0 and nx.has_path(dag, v, u)):
            back.append((u, v))
        else:
            dag.add_edge(u, v)
    return dag, back


def _layers(dag: nx.DiGraph) -> dict[str, int]:
    layer: dict[str, int] = {}
    for name in reversed(list(nx.topological_sort(dag))):
        layer[name] = 1 + max((layer[s] for s in dag.successors(name)), default=-1)
    return layer


def _add_dummies(
    dag: nx.DiGraph, layer: dict[str, int], graph: nx.DiGraph
) -> tuple[dict[tuple[str, str], list[Hashable]], list[list[Hashable]]]:
    """Every layered edge as a chain of points, one per layer from source to target; the
    initial order of each layer (file order, dummies after)."""
    position = {name: index for index, name in enumerate(graph)}
    order: list[list[Hashable]] = [[] for _ in range(max(layer.values()) + 1)]
    for name in sorted(dag, key=position.__getitem__):
        order[layer[name]].append(name)
    chains: dict[tuple[str, str], list[Hashable]] = {}
    for u, v in dag.edges:
        chain: list[Hashable] = [u]
        for level in range(layer[u] - 1, layer[v], -1):
            dummy = ("dummy", u, v, level)
            order[level].append(dummy)
            chain.append(dummy)
        chain.append(v)
        chains[(u, v)] = chain
    return chains, order


def _neighbours(
    chains: dict[tuple[str, str], list[Hashable]],
) -> tuple[dict[Hashable, list[Hashable]], dict[Hashable, list[Hashable]]]:
    """For each point: the points one layer up (readers) and one layer down (read)."""
    up: dict[Hashable, list[Hashable]] = {}
    down: dict[Hashable, list[Hashable]] = {}
    for chain in chains.values():
        for lower, upper in itertools.pairwise(chain):
            up.setdefault(lower, []).append(upper)
            down.setdefault(upper, []).append(lower)
    return up, down


def _minimise_crossings(
    order: list[list[Hashable]], chains: dict[tuple[str, str], list[Hashable]], sweeps: int
) -> list[list[Hashable]]:
    up, down = _neighbours(chains)
    best = [list(row) for row in order]
    best_crossings = _crossings(best, up)
    current = [list(row) for row in order]
    for _ in range(sweeps):
        for index in range(1, len(current)):  # top to bottom: follow the layer above
            current[index] = _by_barycentre(current[index], current[index - 1], up)
        for index in range(len(current) - 2, -1, -1):  # bottom to top: follow the layer below
            current[index] = _by_barycentre(current[index], current[index + 1], down)
        crossings = _crossings(current, up)
        if crossings < best_crossings:
            best, best_crossings = [list(row) for row in current], crossings
    return best


def _by_barycentre(
    row: list[Hashable], fixed: list[Hashable], neighbours: dict[Hashable, list[Hashable]]
) -> list[Hashable]:
    place = {name: index for index, name in enumerate(fixed)}
    keys = []
    for index, name in enumerate(row):
        linked = [place[n] for n in neighbours.get(name, []) if n in place]
        keys.append(sum(linked) / len(linked) if linked else float(index))
    return [name for _, _, name in sorted(zip(keys, range(len(row)), row, strict=True))]


def _crossings(order: list[list[Hashable]], up: dict[Hashable, list[Hashable]]) -> int:
    """Edge crossings between every pair of adjacent layers (pairs of edges whose ends are in
    opposite orders)."""
    total = 0
    for index in range(1, len(order)):
        above = {name: i for i, name in enumerate(order[index - 1])}
        pairs = np.array(
            [
                (i, above[target])
                for i, name in enumerate(order[index])
                for target in up.get(name, [])
            ],
            dtype=float,
        ).reshape(-1, 2)
        if len(pairs) < 2:
            continue
        lower = np.sign(pairs[:, None, 0] - pairs[None, :, 0])
        upper = np.sign(pairs[:, None, 1] - pairs[None, :, 1])
        total += int((lower * upper < 0).sum()) // 2
    return total


def _x_positions(
    order: list[list[Hashable]],
    chains: dict[tuple[str, str], list[Hashable]],
    widths: dict[str, float],
    gap: float,
    loops: dict[str, float],
    passes: int = 16,
) -> dict[Hashable, float]:
    """Centres that keep each layer's order and gaps, each pulled towards its neighbours."""
    up, down = _neighbours(chains)
    x: dict[Hashable, float] = {}
    separation = []
    for row in order:
        needed = [
            (widths.get(a, 0.0) + widths.get(b, 0.0)) / 2  # type: ignore[call-overload]
            + (gap if a in widths and b in widths else gap / 2)
            + loops.get(a, 0.0)  # type: ignore[call-overload]
            for a, b in itertools.pairwise(row)
        ]
        offsets = np.concatenate([[0.0], np.cumsum(needed)])
        separation.append(offsets)
        for name, offset in zip(row, offsets - offsets[-1] / 2, strict=True):
            x[name] = float(offset)
    rows = list(range(len(order)))
    for step in range(passes):
        sequence = rows[1:] + rows[-2::-1] if step % 2 == 0 else rows[-2::-1] + rows[1:]
        for index in sequence:
            row = order[index]
            wanted = np.array(
                [
                    np.mean([x[n] for n in up.get(name, []) + down.get(name, [])])
                    if up.get(name) or down.get(name)
                    else x[name]
                    for name in row
                ]
            )
            offsets = separation[index]
            # x_i - offset_i must not decrease along the row: an isotonic regression.
            shifted = isotonic_regression(wanted - offsets).x
            for name, value in zip(row, shifted + offsets, strict=True):
                x[name] = float(value)
    return x


def _layered_edge(
    u: str,
    v: str,
    lag: int,
    chains: dict[tuple[str, str], list[Hashable]],
    boxes: dict[str, Box],
    xs: dict[Hashable, float],
    ys: list[float],
    band: list[float],
    left: float,
    bottom: float,
) -> Edge:
    start, end = boxes[u], boxes[v]
    # A vertical stub from the box to the edge of its layer's band: a shorter box's edge must
    # not cut the corner of a taller neighbour in the same layer.
    points: list[Point] = [(start.x, start.top), (start.x, _band_edge(start, ys, band, bottom, +1))]
    for dummy in chains[(u, v)][1:-1]:
        level = dummy[3]  # type: ignore[index]
        x = xs[dummy] - left
        # Through the whole height of the layer's band, so the edge never cuts a box corner.
        points += [
            (x, ys[level] - bottom - band[level] / 2),
            (x, ys[level] - bottom + band[level] / 2),
        ]
    points += [(end.x, _band_edge(end, ys, band, bottom, -1)), (end.x, end.bottom)]
    return Edge(u, v, lag, True, tuple(points))


def _band_edge(box: Box, ys: list[float], band: list[float], bottom: float, side: int) -> float:
    """The top (``side`` +1) or bottom (-1) of the band of ``box``'s layer."""
    return ys[box.layer] - bottom + side * band[box.layer] / 2


def _spread_ends(edges: list[Edge], boxes: dict[str, Box]) -> list[Edge]:
    """Spread the ends of the edges meeting one side of a box over the middle half of that
    side, in the order of where they come from, so arrows stay apart and do not cross."""
    points = [list(edge.points) for edge in edges]
    # Each end is a box point and its stub above or below it (two points); beyond is the rest.
    for (end, stub, beyond), name in (((0, 1, 2), "source"), ((-1, -2, -3), "target")):
        sides: dict[str, list[int]] = {}
        for index, edge in enumerate(edges):
            sides.setdefault(getattr(edge, name), []).append(index)
        for box_name, members in sides.items():
            if len(members) < 2:
                continue
            box = boxes[box_name]
            members.sort(key=lambda i: points[i][beyond][0])
            step = box.width / 2 / (len(members) - 1)
            for rank, index in enumerate(members):
                x = box.x - box.width / 4 + rank * step
                points[index][end] = (x, points[index][end][1])
                points[index][stub] = (x, points[index][stub][1])
    return [
        Edge(edge.source, edge.target, edge.lag, edge.layered, _distinct(point))
        for edge, point in zip(edges, points, strict=True)
    ]


def _distinct(points: list[Point]) -> tuple[Point, ...]:
    """``points`` without repeats: a zero-length last segment would lose the arrow head."""
    kept = [points[0]]
    for point in points[1:]:
        if abs(point[0] - kept[-1][0]) > 1e-9 or abs(point[1] - kept[-1][1]) > 1e-9:
            kept.append(point)
    return tuple(kept)


def _back_edge(u: str, v: str, lag: int, boxes: dict[str, Box]) -> Edge:
    start, end = boxes[u], boxes[v]
    if u == v:  # prev(x) in x's own formula: a loop on the box's right side
        points: tuple[Point, ...] = (
            (start.right, start.y + start.height / 4),
            (start.right, start.y - start.height / 4),
        )
    elif start.layer < end.layer:  # read from above: leave at the bottom, enter at the top
        points = ((start.x, start.bottom), (end.x, end.top))
    elif start.layer > end.layer:
        points = ((start.x, start.top), (end.x, end.bottom))
    else:
        first, second = (start.right, end.left) if start.x < end.x else (start.left, end.right)
        points = ((first, start.y), (second, end.y))
    return Edge(u, v, lag, False, points)
