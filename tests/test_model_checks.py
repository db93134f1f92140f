"""Model objects check themselves: a Node, Alert or Tree built in Python raises the same errors
as a tree file, which adds FILE:LINE; every error class lives in kpitree.errors and carries the
node and key."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kpitree
from kpitree import errors
from kpitree.errors import KpiTreeError, SpecError
from kpitree.node import Alert, Node
from kpitree.tree import TreeModel

ROOT = Path(__file__).resolve().parent.parent

# (Node keyword arguments, key named by the error, message) for each rule on a node.
NODE_CASES = [
    ({"value": 1.0, "formula": "a"}, None,
     "node 'x' needs exactly one of 'value' or 'formula', found both"),
    ({"value": 1.0, "effort": -2.0}, "effort", "node 'x': effort must be positive, found -2"),
    ({"value": 1.0, "effort": 0.0}, "effort", "node 'x': effort must be positive, found 0"),
    ({"value": 1.0, "indicator": "trailing"}, "indicator",
     "node 'x': indicator must be one of leading, coincident, lagging, found 'trailing'"),
    ({"value": 1.0, "bounds": (1.0, 0.0)}, "bounds",
     "node 'x': bounds [1, 0] has low above high"),
    ({"value": 1.0, "benchmark": (0.3, 0.2)}, "benchmark",
     "node 'x': benchmark [0.3, 0.2] has low above high"),
    ({"value": 1.0, "initial": float("nan")}, "initial",
     "node 'x': initial must be a finite number, found nan"),
    ({"value": 1.0, "direction": "up"}, "direction",
     "node 'x': direction must be one of higher, lower, found 'up'"),
    ({"value": 1.0, "aggregate": "max"}, "aggregate",
     "node 'x': aggregate must be one of sum, last, mean, ratio, found 'max'"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "key", "message"), NODE_CASES)
def test_node_built_in_python_checks_itself(fields: dict, key: str | None, message: str) -> None:
    """A Node built in Python refuses what the tree file refuses, naming the node and key."""
    with pytest.raises(SpecError) as caught:
        Node("x", **fields)
    assert str(caught.value) == message
    assert caught.value.node == "x"
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("t", "node name 't' is reserved"),
        ("min", "node name 'min' is reserved"),
        ("2x", "node name '2x' is not a valid name (letters, digits, _)"),
        ("win-rate", "node name 'win-rate' is not a valid name (letters, digits, _)"),
        ("n" * 101, "is longer than 100 characters"),
    ],
)
def test_node_name_is_checked_in_python(name: str, message: str) -> None:
    """An invalid or reserved name is refused by Node itself, with the name as the node."""
    with pytest.raises(SpecError) as caught:
        Node(name, value=1.0)
    assert message in str(caught.value)
    assert caught.value.node == name


def test_alert_built_in_python_checks_its_thresholds() -> None:
    """An alert with below above above would fire on every value: Alert refuses it (key
    'alert'), as it refuses an alert with no threshold."""
    with pytest.raises(SpecError, match=r"alert below 0.2 and above 0.1 would fire") as caught:
        Alert(below=0.2, above=0.1)
    assert caught.value.key == "alert"
    with pytest.raises(SpecError, match="found neither"):
        Alert()
    assert Alert(below=0.1, above=0.2).fires(0.05)


def test_list_bounds_and_one_number_benchmark_are_read_as_in_yaml() -> None:
    """bounds as a list and a benchmark as one number become the pairs the file gives."""
    node = Node("x", value=0.5, bounds=[0, 1], benchmark=0.3)  # type: ignore[arg-type]
    assert node.bounds == (0, 1)
    assert node.benchmark == (0.3, 0.3)


def test_tree_built_in_python_names_the_node() -> None:
    """Tree checks (an input outside its bounds, a formula reading no node) carry no file but
    the node and key."""
    with pytest.raises(KpiTreeError, match="node 'a': value 2 is outside bounds") as caught:
        TreeModel("t", "a", [Node("a", value=2.0, bounds=(0.0, 1.0))])
    assert caught.value.location is None
    assert (caught.value.node, caught.value.key) == ("a", "value")
    with pytest.raises(KpiTreeError, match="formula reads 'b'") as caught:
        TreeModel("t", "a", [Node("a", formula="b * 2")])
    assert (caught.value.node, caught.value.key) == ("a", "formula")


HEAD = "name: t\nkgi: arr\nnodes:\n"

# (node lines, line of the error, message): the same rules read from a file point at the
# line of the key they name.
YAML_CASES = [
    ("  arr:\n    value: 1\n    effort: -1\n", 6, "node 'arr': effort must be positive, found -1"),
    ("  arr:\n    value: 1\n    indicator: trailing\n", 6,
     "node 'arr': indicator must be one of leading, coincident, lagging, found 'trailing'"),
    ("  arr:\n    value: 1\n    alert: {below: 5, above: 1}\n", 6,
     "node 'arr': alert below 5 and above 1 would fire on every value (below must not exceed "
     "above)"),
    ("  arr:\n    value: 1\n    bounds: [3, 1]\n", 6, "node 'arr': bounds [3, 1] has low above high"),
    ("  arr:\n    value: 1\n    formula: 2\n", 4,
     "node 'arr' needs exactly one of 'value' or 'formula', found both"),
    ("  arr-x: {value: 1}\n", 4, "node name 'arr-x' is not a valid name (letters, digits, _)"),
]  # fmt: skip


@pytest.mark.parametrize(("nodes", "line", "message"), YAML_CASES)
def test_file_still_gives_file_and_line(nodes: str, line: int, message: str) -> None:
    """From YAML the node's own check is reported as FILE:LINE at the key's line."""
    with pytest.raises(SpecError) as caught:
        kpitree.loads(HEAD + nodes, "t.yaml")
    assert str(caught.value) == f"t.yaml:{line}: {message}"


def test_error_at_keeps_class_node_and_key() -> None:
    """KpiTreeError.at places the same error at a location without losing its fields."""
    error = errors.DataError("node 'a': bad", node="a", key="value")
    moved = error.at(errors.Location("f.yaml", 3))
    assert type(moved) is errors.DataError
    assert (moved.node, moved.key, str(moved)) == ("a", "value", "f.yaml:3: node 'a': bad")


def test_every_error_class_lives_in_errors_module() -> None:
    """No module but kpitree/errors.py defines an exception class; the old import places still
    give the same classes."""
    defined = []
    for path in sorted((ROOT / "kpitree").rglob("*.py")):
        if path.name == "errors.py" and path.parent.name == "kpitree":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                defined.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert defined == []
    from kpitree.cli.options import UsageError
    from kpitree.distribution import DistributionError
    from kpitree.encoding import EncodingError
    from kpitree.numbers import CharacterError
    from kpitree.targets import TargetError
    from kpitree.timeaxis import TimeAxisError

    moved = (DistributionError, EncodingError, CharacterError, TargetError, TimeAxisError)
    for old in (*moved, UsageError):
        assert getattr(errors, old.__name__) is old
        assert issubclass(old, KpiTreeError)
        assert issubclass(old, ValueError)


def test_every_error_class_carries_node_and_key() -> None:
    """Each KpiTreeError subclass takes node and key and exposes them as fields."""
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, KpiTreeError)
    ]
    assert len(classes) >= 13
    for cls in classes:
        error = cls("message", node="win_rate", key="bounds")
        assert (error.node, error.key, error.message) == ("win_rate", "bounds", "message")
