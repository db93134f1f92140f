"""What an analysis compiles from a tree's formulas, kept once per tree.

A tree's formulas do not change after it is built, so what is learnt from them (a node is
linear in a lever, a node's formulas compiled for one period) stays true. It is kept here
rather than on the tree or its engine, which other modules own, and goes with the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from kpitree.tree import Tree

Built = TypeVar("Built")
_STORE: WeakKeyDictionary[Tree, dict[Hashable, Any]] = WeakKeyDictionary()


def cached(tree: Tree, key: Hashable, build: Callable[[], Built]) -> Built:
    """``build()`` once per ``tree`` and ``key``, then the same object."""
    store = _STORE.setdefault(tree, {})
    if key not in store:
        store[key] = build()
    return store[key]
