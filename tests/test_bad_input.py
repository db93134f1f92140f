"""Every kind of bad input gives one clear FILE:LINE message and exit status 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import kpitree
from kpitree.errors import CycleError, DataError, EvaluationError, FormulaError, SpecError

GOOD_HEAD = """\
name: t
kgi: arr
nodes:
"""


def run_bad(cli, path: Path, *extra: str) -> str:
    status, out, err = cli("eval", path, *extra)
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err.strip()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: t\nkgi: a\nnodes: [1\n", 4, "YAML syntax error"),
        (
            GOOD_HEAD + "  arr: {value: 1}\n  arr: {value: 2}\n",
            5,
            "duplicate key 'arr' (first given at line 4)",
        ),
        (
            GOOD_HEAD + "  arr: {value: 1, ownr: sales}\n",
            4,
            "unknown key 'ownr' in node 'arr' (did you mean 'owner'?)",
        ),
        (
            "name: t\nkgi: arr\nnodez: {}\n",
            3,
            "unknown key 'nodez' in tree (did you mean 'nodes'?)",
        ),
        (
            GOOD_HEAD + "  arr: {value: 1, formula: a}\n",
            4,
            "node 'arr' needs exactly one of 'value' or 'formula', found both",
        ),
        (GOOD_HEAD + "  arr: {owner: x}\n", 4, "found neither"),
        (
            GOOD_HEAD + "  mrr: {value: 1}\n  arr:\n    formula: mr * 12\n",
            5,
            "formula reads 'mr', which is not a node (did you mean 'mrr'?)",
        ),
        (
            GOOD_HEAD + "  a: {formula: arr + 1}\n  b: {formula: a * 2}\n  arr: {formula: b / 3}\n",
            4,
            "cycle: a -> b -> arr -> a",
        ),
        (
            "name: t\nkgi: arr\ntime: {periods: 2}\nnodes:\n  arr: {formula: prev(mrr) + 1}\n  mrr: {value: 3}\n",
            6,
            "prev(mrr) needs an 'initial' value on node 'mrr'",
        ),
        (
            GOOD_HEAD + "  arr: {value: 1.4, bounds: [0, 1]}\n",
            4,
            "node 'arr': value 1.4 is outside bounds [0, 1]",
        ),
        (
            GOOD_HEAD + "  arr: {value: 0.3, distribution: {dist: beta, mean: 0.5, sd: 0.6}}\n",
            4,
            "beta with mean 0.5 and sd 0.6 does not exist",
        ),
        (
            GOOD_HEAD + "  arr: {value: 1, distribution: {dist: normal, mean: 1, sd: -2}}\n",
            4,
            "normal sd must be positive, found -2",
        ),
        (
            GOOD_HEAD + "  arr: {value: 1, distribution: {dist: gauss, mean: 1}}\n",
            4,
            "unknown distribution 'gauss'",
        ),
        (
            "name: t\nkgi: ar\nnodes:\n  arr: {value: 1}\n",
            2,
            "kgi 'ar' is not a node (did you mean 'arr'?)",
        ),
        (
            "name: t\nkgi: arr\ntime: {periods: 3}\nnodes:\n  arr: {value: [1, 2]}\n",
            5,
            "node 'arr': expected 3 values (one per period), found 2",
        ),
        (
            GOOD_HEAD + "  arr: {formula: \"__import__('os').system('touch pwned')\"}\n",
            4,
            "node 'arr': formula",
        ),
        (
            "name: t\nkgi: arr\nnodes:\n  arr: !!python/object/apply:os.system ['touch pwned']\n",
            4,
            "YAML tag",
        ),
        (GOOD_HEAD + "  arr: {formula: t * 2}\n", 4, "t needs a timed tree"),
        (GOOD_HEAD + "  arr: {value: 1, bounds: [2, 1]}\n", 4, "bounds [2, 1] has low above high"),
        (GOOD_HEAD + "  arr: {value: one}\n", 4, "value must be a number, found 'one'"),
        (
            "name: t\nkgi: arr\ntime: {periods: 2, unit: fortnight}\nnodes:\n  arr: {value: 1}\n",
            3,
            "unit must be one of",
        ),
        (
            "name: t\nkgi: arr\nnodes:\n  arr: {value: 1}\nscenarios:\n  up: {ar: 2}\n",
            6,
            "'ar' is not a node (did you mean 'arr'?)",
        ),
        (GOOD_HEAD + "  t: {value: 1}\n  arr: {formula: 2}\n", 4, "node name 't' is reserved"),
    ],
)
def test_bad_tree_file_is_one_clear_message(cli, write_tree, tmp_path, text, line, message) -> None:
    """Bad input exits 2 with FILE:LINE: message naming what is wrong, and runs nothing."""
    path = write_tree(text)
    err = run_bad(cli, path)
    assert err.startswith(f"{path}:{line}: "), err
    assert message in err
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


def test_division_by_zero_names_the_node_and_period(cli, write_tree) -> None:
    """A non-finite value at evaluation names the node, the period and the formula."""
    path = write_tree(
        """
        name: t
        kgi: cac
        time: {periods: 3, start: 2027-01}
        nodes:
          cost: {value: 100}
          won: {value: [2, 0, 1]}
          cac: {formula: cost / won}
        """
    )
    err = run_bad(cli, path)
    assert err.startswith(f"{path}:7: node 'cac': an infinite result (inf) at period 2027-02")


def test_missing_file_is_a_clear_error(cli, tmp_path) -> None:
    """A tree file that does not exist exits 2 with its path and the reason."""
    status, _, err = cli("validate", tmp_path / "nope.yaml")
    assert status == 2
    assert (
        err.strip()
        == f"{tmp_path / 'nope.yaml'}: cannot read the tree file: No such file or directory"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--set", "win=0.3"), "'win' is not a node (did you mean 'win_rate'?)"),
        (("--set", "win_rate=abc"), "--set win_rate: 'abc' is not a number"),
        (("--set", "win_rate=1.5"), "node 'win_rate': value 1.5 is outside bounds [0, 1]"),
        (("--set", "won=3"), "node 'won' is derived"),
        (("--scenario", "optimistc"), "no scenario 'optimistc' (did you mean 'optimistic'?)"),
    ],
)
def test_bad_command_line_values(cli, write_tree, extra, message) -> None:
    """Overrides and scenarios that do not fit the tree exit 2 with the reason."""
    path = write_tree(
        """
        name: t
        kgi: won
        nodes:
          sql: {value: 100}
          win_rate: {value: 0.2, bounds: [0, 1]}
          won: {formula: sql * win_rate}
        scenarios:
          optimistic: {win_rate: 0.3}
        """
    )
    err = run_bad(cli, path, *extra)
    assert message in err


def test_errors_are_typed_for_api_users(write_tree) -> None:
    """Through the Python API each problem raises its own KpiTreeError subclass."""
    cases = [
        ("name: t\nkgi: a\nnodes:\n  a: {formula: 'b +'}\n  b: {value: 1}\n", FormulaError),
        ("name: t\nkgi: a\nnodes:\n  a: {formula: b}\n  b: {formula: a}\n", CycleError),
        ("name: t\nkgi: a\nnodes:\n  a: {valu: 1}\n", SpecError),
    ]
    for text, error in cases:
        with pytest.raises(error):
            kpitree.loads(text)
    tree = kpitree.loads("name: t\nkgi: a\nnodes:\n  a: {formula: 1 / b}\n  b: {value: 0}\n")
    with pytest.raises(EvaluationError, match="node 'a'"):
        tree.evaluate()
    with pytest.raises(DataError, match="not a node"):
        tree.evaluate(overrides={"c": 1})
    assert isinstance(SpecError("x"), ValueError)


# -- YAML read as a person means it (issue 17) -------------------------------------------------
TIMED_HEAD = "name: t\nkgi: arr\ntime: {periods: 3, start: 2027-01}\nnodes:\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD_HEAD + "  arr: {value: !!int abc}\n", 4, "'abc' tagged !!int is not a whole number such as 1_000"),
        (GOOD_HEAD + "  arr: {value: !!float abc}\n", 4, "'abc' tagged !!float is not a number such as 2.5e6"),
        (GOOD_HEAD + "  arr: {value: 1, label: !!bool abc}\n", 4, "'abc' tagged !!bool is not true or false"),
        (GOOD_HEAD + "  arr: {value: 1, label: !!timestamp abc}\n", 4, "'abc' tagged !!timestamp is not a date such as 2027-01-31"),
        (GOOD_HEAD + "  arr: {value: 1, label: !!null abc}\n", 4, "'abc' tagged !!null is not null (~)"),
        (GOOD_HEAD + "  arr: {value: 1, label: !!timestamp 2027-13-45}\n", 4, "'2027-13-45' is not a valid date: month must be in 1..12"),
        (GOOD_HEAD + "  arr: {value: 2027-13-45}\n", 4, "node 'arr': value must be a number, found '2027-13-45'"),
        ("name: t\nkgi: arr\ntime: {periods: 3, start: 2027-02-30}\nnodes:\n  arr: {value: 1}\n",
         3, "time: start '2027-02-30' is not a date: day is out of range for month"),
        ("name: t\nkgi: arr\ntime: {periods: 3, unit: day, start: 2027-13-45}\nnodes:\n  arr: {value: 1}\n",
         3, "time: start '2027-13-45' is not a date: month must be in 1..12"),
        (GOOD_HEAD + "  arr: {value: " + "9" * 5000 + "}\n", 4, "a number of 5,000 digits is out of range (at most about 1.8e308)"),
        (GOOD_HEAD + "  arr: {value: 1, distribution: {dist: [normal]}}\n", 4,
         "node 'arr': dist must be the name of a distribution (normal, beta, ...), found ['normal']"),
        (GOOD_HEAD + "  arr: {value: 1, distribution: {dist: {normal: 1}, mean: 1, sd: 1}}\n", 4,
         "node 'arr': dist must be the name of a distribution"),
        (GOOD_HEAD + "  arr: {value: 010}\n", 4,
         "node 'arr': value must be a number, found '010' (a number does not start with 0: write it without the leading zero)"),
        (GOOD_HEAD + "  arr: {value: 0x1F}\n", 4, "node 'arr': value must be a number, found '0x1F'"),
        (GOOD_HEAD + "  arr: {value: 1:30}\n", 4, "node 'arr': value must be a number, found '1:30'"),
        ("version: true\n" + GOOD_HEAD + "  arr: {value: 1}\n", 1, "unsupported version True (this kpitree reads version 1)"),
        ("version: 1.0\n" + GOOD_HEAD + "  arr: {value: 1}\n", 1, "unsupported version 1.0"),
        ("version: 01\n" + GOOD_HEAD + "  arr: {value: 1}\n", 1, "unsupported version '01'"),
        (GOOD_HEAD + "  !!python/name:os.system a: {value: 1}\n  arr: {value: 1}\n", 4,
         "YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed in a tree file"),
        (GOOD_HEAD + "  arr: {value: 1, !!binary b3duZXI=: x}\n", 4, "YAML tag 'tag:yaml.org,2002:binary' is not allowed"),
        (GOOD_HEAD + "  arr: !!set {value: 1}\n", 4, "YAML tag 'tag:yaml.org,2002:set' is not allowed"),
    ],
)  # fmt: skip
def test_yaml_scalars_as_meant(cli, write_tree, text, line, message) -> None:
    """Tags that do not fit their value, impossible dates, octal, hex and base-60 look-alikes,
    booleans as versions and tags on keys are one FILE:LINE message, never a traceback."""
    path = write_tree(text)
    err = run_bad(cli, path)
    assert err.startswith(f"{path}:{line}: "), err
    assert message in err


def test_yaml_1_1_surprises_are_read_as_written() -> None:
    """`owner: no` is the owner 'no', `label: 010` the text '010', a date stays its text, and
    `version: 1`, `1_000`, `!!float 1` and a !!timestamp start read as meant."""
    tree = kpitree.loads(
        "version: 1\nname: t\nkgi: arr\ntime: {periods: 2, unit: day, start: !!timestamp 2027-01-30}\n"
        "nodes:\n  a: {value: 1_000, owner: no, label: 010, description: 2027-01-31}\n"
        "  b: {value: !!float 1, owner: on}\n  arr: {formula: a + b}\n"
    )
    a = tree.nodes["a"]
    assert (a.owner, a.label, a.description) == ("no", "010", "2027-01-31")
    assert tree.nodes["b"].owner == "on"
    assert tree.time.labels == ("2027-01-30", "2027-01-31")
    assert tree.evaluate().kgi_value == 1001.0


def test_base_60_with_200000_parts_is_quick(cli, write_tree) -> None:
    """A YAML 1.1 base-60 integer of 200,000 parts is text, refused at once with an excerpt."""
    path = write_tree(GOOD_HEAD + "  arr: {value: " + ":".join(["59"] * 200_000) + "}\n")
    started = time.perf_counter()
    err = run_bad(cli, path)
    assert time.perf_counter() - started < 5
    assert err.startswith(f"{path}:4: node 'arr': value must be a number, found '59:59:59")
    assert len(err) < 200


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD_HEAD + "  arr: {value: 1}\n---\nname: u\n", 5, "a tree file holds one YAML document: remove the second '---'"),
        (GOOD_HEAD + "  arr: {value: 1, owner: *nobody}\n", 4, "YAML alias '*nobody' names no anchor (&name) given before it"),
        (GOOD_HEAD + "  arr: {value: &v 1, *v : 2}\n", 4, "a key must be a plain name, not an alias (*name)"),
        (GOOD_HEAD + "  arr: {value: 1, [a]: 2}\n", 4, "a key must be a plain name"),
        ("base: &b {value: 1}\n" + GOOD_HEAD + "  arr: {<<: *b, owner: x}\n", 5, "YAML merge keys (<<) are not supported"),
        ("", 1, "the file is empty: expected a mapping with name, kgi and nodes"),
        ("# only a comment\n", 1, "the file is empty"),
    ],
)  # fmt: skip
def test_yaml_structure_errors(cli, write_tree, text, line, message) -> None:
    """Two documents, an alias to no anchor, a non-name key, a merge key and an empty file are
    one FILE:LINE message each."""
    path = write_tree(text)
    err = run_bad(cli, path)
    assert err.startswith(f"{path}:{line}: "), err
    assert message in err


def test_aliased_mapping_keeps_lines_where_it_is_used() -> None:
    """A mapping reused through an alias is read whole: the alias is at its own line, the
    keys inside the copy at the lines where they are written."""
    from kpitree.spec.yamlfile import read_yaml

    document = read_yaml("a: &x {b: [1, 2]}\nc:\n  - 0\n  - *x\n", "f.yaml")
    assert document.data == {"a": {"b": [1, 2]}, "c": [0, {"b": [1, 2]}]}
    assert str(document.where("c", 1)) == "f.yaml:4"
    assert str(document.where("c", 1, "b")) == "f.yaml:1"
    assert str(document.where("c", 0)) == "f.yaml:3"


@pytest.mark.parametrize(
    ("key", "what"), [("unit", "a unit"), ("start", "a date"), ("periods", "a number of periods")]
)
def test_long_time_values_are_cut(cli, write_tree, key, what) -> None:
    """A 100,000-character time unit, start or periods is one short line."""
    fields = {"periods": "3", "unit": "month", "start": "2027-01"} | {key: "x" * 100_000}
    time_ = ", ".join(f"{name}: {value}" for name, value in fields.items())
    path = write_tree(f"name: t\nkgi: arr\ntime: {{{time_}}}\nnodes:\n  arr: {{value: 1}}\n")
    err = run_bad(cli, path)
    assert err.startswith(f"{path}:3: time: {key} 'xxxx")
    assert err.endswith(f"(100,000 characters)' is not {what}")
