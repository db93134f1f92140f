"""The ``direction`` key: which way is better for a node."""

from __future__ import annotations

import pytest

import kpitree
from kpitree.errors import SpecError
from kpitree.node import Node
from kpitree.tree import Tree


def _tree(direction: str | None) -> Tree:
    return Tree(
        "cac",
        "cac",
        [
            Node("cost", value=1000.0),
            Node("customers", value=10.0),
            Node("cac", formula="cost / customers", direction=direction),
        ],
    )


def test_a_kgi_without_direction_is_better_higher() -> None:
    """A KGI that says nothing is judged higher-is-better, as revenue is."""
    assert _tree(None).kgi_sign == 1


def test_a_lower_is_better_kgi_has_a_negative_sign() -> None:
    """``direction: lower`` on the KGI (a cost such as CAC) makes lower better."""
    assert _tree("lower").kgi_sign == -1


def test_an_unknown_direction_is_refused_by_the_node() -> None:
    """A direction other than higher/lower is refused when the node is built."""
    with pytest.raises(
        SpecError, match="node 'cac': direction must be one of higher, lower, found 'down'"
    ):
        Node("cac", formula="cost", direction="down")


def test_the_yaml_key_reaches_the_node(tmp_path) -> None:
    """``direction:`` in a tree file sets the node's direction; a bad one names file and line."""
    good = tmp_path / "good.yaml"
    good.write_text(
        "name: t\nkgi: cac\nnodes:\n  cost: {value: 100}\n  n: {value: 4}\n"
        "  cac: {formula: cost / n, direction: lower}\n"
    )
    assert kpitree.load(good).kgi_sign == -1
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: t\nkgi: cac\nnodes:\n  cost: {value: 100}\n  cac: {formula: cost, direction: up}\n"
    )
    with pytest.raises(SpecError, match=r"bad.yaml:5: node 'cac': direction must be one of"):
        kpitree.load(bad)
