"""The layered layout: KGI on top, edges pointing up, no overlapping boxes, fewer crossings."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from conftest import TREES
from treegen import generated_tree_yaml

import kpitree
from kpitree.plots.layout import Layout, layered_layout


def _layout_of(tree: kpitree.Tree, size: tuple[float, float] = (90.0, 40.0)) -> Layout:
    # Widths vary with the name so boxes of one layer differ, as real labels do.
    sizes = {
        name: (size[0] + 7 * (len(name) % 5), size[1] + 10 * (len(name) % 2)) for name in tree.nodes
    }
    return layered_layout(tree.graph, tree.kgi, sizes, gap_x=12, gap_y=30)


@pytest.fixture(scope="module")
def big() -> kpitree.Tree:
    """A generated 50-node timed tree with prev() loops, shared nodes and long edges."""
    return kpitree.loads(generated_tree_yaml(50, seed=3))


def test_generated_tree_is_big_and_deep(big) -> None:
    """The generated tree has 50 nodes over several layers, so the layout tests mean something."""
    layout = _layout_of(big)
    assert len(layout.boxes) == 50
    assert len(layout.layers) >= 5
    assert any(edge.source == edge.target for edge in layout.edges)  # a prev() loop


@pytest.mark.parametrize("which", ["saas_arr", "big"])
def test_kgi_is_in_the_top_layer(which, big) -> None:
    """The KGI is in layer 0 and no box is higher than it."""
    tree = big if which == "big" else kpitree.load(TREES / "saas_arr.yaml")
    layout = _layout_of(tree)
    kgi = layout.boxes[tree.kgi]
    assert kgi.layer == 0
    assert tree.kgi in layout.layers[0]
    assert all(box.y <= kgi.y for box in layout.boxes.values())


@pytest.mark.parametrize("which", ["saas_arr", "big"])
def test_layered_edges_go_up_and_avoid_boxes(which, big) -> None:
    """Every layered edge runs from a lower layer to a higher one, its points rise, and no
    segment passes through a box other than its two ends."""
    tree = big if which == "big" else kpitree.load(TREES / "saas_arr.yaml")
    layout = _layout_of(tree)
    layered = [edge for edge in layout.edges if edge.layered]
    assert len(layered) >= len(tree.graph.edges) * 0.7
    for edge in layered:
        assert layout.boxes[edge.source].layer > layout.boxes[edge.target].layer
        ys = [y for _, y in edge.points]
        assert ys == sorted(ys)
        assert edge.points[-1] != edge.points[-2]  # a zero-length last segment has no head
        points = np.array(edge.points)
        t = np.linspace(0, 1, 40)[:, None]
        samples = np.concatenate([a + t * (b - a) for a, b in itertools.pairwise(points)])
        for name, box in layout.boxes.items():
            if name in (edge.source, edge.target):
                continue
            inside = (
                (samples[:, 0] > box.left + 1e-9)
                & (samples[:, 0] < box.right - 1e-9)
                & (samples[:, 1] > box.bottom + 1e-9)
                & (samples[:, 1] < box.top - 1e-9)
            )
            assert not inside.any(), f"{edge.source}->{edge.target} crosses {name}"


def test_every_edge_is_drawn_once(big) -> None:
    """The layout has one edge per graph edge; the left-out ones are prev() loops and reads that
    would close a cycle, and the layered ones form an acyclic graph."""
    layout = _layout_of(big)
    assert sorted((e.source, e.target) for e in layout.edges) == sorted(big.graph.edges)
    dag = nx.DiGraph([(e.source, e.target) for e in layout.edges if e.layered])
    assert nx.is_directed_acyclic_graph(dag)
    for edge in layout.edges:
        if not edge.layered and edge.source != edge.target:
            assert edge.lag > 0 or edge.source == big.kgi


@pytest.mark.parametrize("which", ["saas_arr", "big"])
def test_no_two_boxes_overlap(which, big) -> None:
    """No two boxes of the layout share any area (checked over every pair)."""
    tree = big if which == "big" else kpitree.load(TREES / "saas_arr.yaml")
    boxes = list(_layout_of(tree).boxes.values())
    overlapping = [
        (a.name, b.name) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)
    ]
    assert overlapping == []
    assert min(box.left for box in boxes) == pytest.approx(0)
    assert min(box.bottom for box in boxes) == pytest.approx(0)


def test_saas_arr_lag_edges() -> None:
    """delay(sql, 2) is a layered edge with lag 2; prev(mrr) in churned_mrr, which mrr reads,
    is a back edge, and so is mrr's read of its own past."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    edges = {(e.source, e.target): e for e in _layout_of(tree).edges}
    assert edges[("sql", "won")].layered
    assert edges[("sql", "won")].lag == 2
    assert not edges[("mrr", "churned_mrr")].layered
    assert edges[("churned_mrr", "mrr")].layered
    assert not edges[("mrr", "mrr")].layered


def test_longest_path_layers() -> None:
    """A node sits one layer below the lowest node that reads it (longest path to the top)."""
    graph = nx.DiGraph()
    graph.add_edges_from([("a", "k"), ("b", "a"), ("b", "k")], lag=0)
    layout = layered_layout(graph, "k", dict.fromkeys(graph, (10, 10)))
    assert {name: box.layer for name, box in layout.boxes.items()} == {"k": 0, "a": 1, "b": 2}


def test_barycentre_sweeps_remove_a_crossing() -> None:
    """File order q, p under a, b crosses (q feeds b, p feeds a); the sweeps put p first."""
    graph = nx.DiGraph()
    graph.add_nodes_from(["k", "a", "b", "q", "p"])
    graph.add_edges_from([("a", "k"), ("b", "k"), ("q", "b"), ("p", "a")], lag=0)
    layout = layered_layout(graph, "k", dict.fromkeys(graph, (10, 10)))
    assert layout.layers[1] == ("a", "b")
    assert layout.layers[2] == ("p", "q")
    assert layout.boxes["p"].x < layout.boxes["q"].x
