"""Saving a dashboard scenario into the tree file: layout kept, values checked by the tree
reader, atomic and serialised writes, conflicts, and the downloadable snippet."""

from __future__ import annotations

import difflib
import fcntl
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kpitree
from kpitree.errors import DataError, KpiTreeError, ScenarioConflict, SpecError, UsageError
from kpitree.serve import scenario_file
from kpitree.serve.scenario_file import (
    check_scenario_name,
    save_scenario,
    scenario_values,
    scenario_yaml,
)
from kpitree.serve.watch import fingerprint

ROOT = Path(__file__).resolve().parents[1]
TREES = sorted(path.name for path in (ROOT / "trees").glob("*.yaml"))


@pytest.fixture
def trees(tmp_path: Path) -> Path:
    """A copy of the bundled trees (and their record data) to save into."""
    shutil.copytree(ROOT / "trees", tmp_path / "trees")
    return tmp_path / "trees"


def version(path: Path) -> str:
    """The version a page would hold for the tree file at ``path``."""
    return fingerprint(path, kpitree.load(path))


def first_input(tree: kpitree.Tree) -> str:
    """A plain input of ``tree`` (the first one in file order)."""
    return next(name for name in tree.inputs if name in tree.nodes)


def opcodes(before: str, after: str) -> list[str]:
    """The kinds of line edits that turn ``before`` into ``after`` (``equal`` left out)."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), False)
    return [tag for tag, *_ in matcher.get_opcodes() if tag != "equal"]


def added_lines(before: str, after: str) -> list[str]:
    """The lines of ``after`` that are not in ``before``, in order."""
    return [
        line[2:]
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line.startswith("+ ")
    ]


@pytest.mark.parametrize("name", TREES)
def test_save_only_adds_lines(trees: Path, name: str) -> None:
    """Saving a new scenario into each bundled tree keeps every original line (comments, blank
    lines, order, styles) and adds only the scenario's line(s)."""
    path = trees / name
    before = path.read_text(encoding="utf-8")
    tree = kpitree.load(path)
    lever = first_input(tree)
    value = tree.nodes[lever].value
    plain = list(value) if isinstance(value, tuple) else value
    save_scenario(path, "saved_here", {lever: plain}, version(path))
    after = path.read_text(encoding="utf-8")
    assert set(opcodes(before, after)) == {"insert"}
    added = added_lines(before, after)
    assert any(line.strip().startswith("saved_here:") for line in added), added
    assert kpitree.load(path).scenarios["saved_here"] == {lever: value}


def test_new_scenario_follows_the_others_and_keeps_their_comments(trees: Path) -> None:
    """A new scenario goes after the last one, in the same flow style, numbers as typed."""
    path = trees / "saas_arr.yaml"
    before = path.read_text(encoding="utf-8")
    save_scenario(path, "review", {"win_rate": "27%", "churn_rate": 0.0095}, version(path))
    after = path.read_text(encoding="utf-8")
    assert added_lines(before, after) == ["  review: {win_rate: 0.27, churn_rate: 0.0095}"]
    assert after.endswith("churn_rate: 0.015}\n  review: {win_rate: 0.27, churn_rate: 0.0095}\n")


def test_block_style_scenarios_get_a_block_entry(tmp_path: Path) -> None:
    """When the existing scenarios are written as block mappings, the new one is too, with a
    per-period list as a flow list."""
    path = tmp_path / "tree.yaml"
    path.write_text(
        "name: t\nkgi: y\ntime: {periods: 3, unit: month, start: 2027-01}\n"
        "nodes:\n"
        "    x: {value: 2, bounds: [0, 10]}  # a comment\n"
        "    y: {formula: x * 3}\n"
        "\n"
        "scenarios:\n"
        "    high:\n"
        "        x: 4\n",
        encoding="utf-8",
    )
    before = path.read_text(encoding="utf-8")
    save_scenario(path, "ramp", {"x": [1, "2.5", 3.25]}, version(path))
    after = path.read_text(encoding="utf-8")
    assert set(opcodes(before, after)) == {"insert"}
    assert after.endswith("    high:\n        x: 4\n    ramp:\n        x: [1, 2.5, 3.25]\n")
    assert kpitree.load(path).scenarios["ramp"] == {"x": (1.0, 2.5, 3.25)}


def test_tree_without_scenarios_gets_the_key_at_the_end(tmp_path: Path) -> None:
    """A tree with no ``scenarios:`` gains one at the end of the file, the rest untouched."""
    path = tmp_path / "tree.yaml"
    text = "# header\nname: t\nkgi: y\n\nnodes:\n  x: {value: 2}\n  y: {formula: x * 3}\n"
    path.write_text(text, encoding="utf-8")
    save_scenario(path, "double", {"x": 4}, version(path))
    assert path.read_text(encoding="utf-8") == text + "scenarios:\n  double: {x: 4}\n"


HEAD = "name: t\nkgi: y\nnodes:\n  x: {value: 2}\n  y: {formula: x}\n"
TIMED = "name: t\nkgi: y\ntime: {periods: 3, unit: month, start: 2027-01}\nnodes:\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # a flow list over two lines stays as written; the tail comment stays last
            TIMED + "  x:\n    value: [1, 2,\n            3]\n  y: {formula: x}\n# tail\n",
            TIMED + "  x:\n    value: [1, 2,\n            3]\n  y: {formula: x}\n"
            "scenarios:\n  new: {x: 5}\n# tail\n",
        ),
        (  # document markers stay
            "---\n" + HEAD + "...\n",
            "---\n" + HEAD + "scenarios:\n  new: {x: 5}\n...\n",
        ),
        (  # an empty scenarios key with a comment under it
            HEAD + "scenarios:\n# none yet\ncorrelations: []\n",
            HEAD + "scenarios:\n  new: {x: 5}\n# none yet\ncorrelations: []\n",
        ),
        (  # an explicit null goes, its comment stays
            HEAD + "scenarios: ~  # none\n",
            HEAD + "scenarios:  # none\n  new: {x: 5}\n",
        ),
        (  # a flow mapping of scenarios, empty or not
            HEAD + "scenarios: {}\n",
            HEAD + "scenarios: {new: {x: 5}}\n",
        ),
        (
            HEAD + "scenarios: {a: {x: 1}}  # c\n",
            HEAD + "scenarios: {a: {x: 1}, new: {x: 5}}  # c\n",
        ),
        (  # a whole tree written as one flow mapping
            "{name: t, kgi: y, nodes: {x: {value: 2}, y: {formula: x}}}\n",
            "{name: t, kgi: y, nodes: {x: {value: 2}, y: {formula: x}}, scenarios: {new: {x: 5}}}\n",
        ),
        (  # a last scenario with a comment at its line's end, a file without a final newline
            HEAD + "scenarios:\n  a: {x: 1}  # one\n# end",
            HEAD + "scenarios:\n  a: {x: 1}  # one\n  new: {x: 5}\n# end",
        ),
        (  # blank lines before the next key stay before it; a literal block keeps its text
            "name: t\nkgi: y\nnodes:\n  x: {value: 2}\n  y:\n    formula: x\n"
            "    description: |\n      two\n      lines\n\n# trailing\n",
            "name: t\nkgi: y\nnodes:\n  x: {value: 2}\n  y:\n    formula: x\n"
            "    description: |\n      two\n      lines\nscenarios:\n  new: {x: 5}\n\n# trailing\n",
        ),
        (  # replacing a block scenario keeps the comments around and inside it
            HEAD + "scenarios:\n  # about new\n  new:\n    x: 1   # why\n  # about b\n  b:\n"
            "    x: 3\n",
            HEAD + "scenarios:\n  # about new\n  new:\n    x: 5   # why\n  # about b\n  b:\n"
            "    x: 3\n",
        ),
        (  # four-space indentation is followed
            "name: t\nkgi: y\nnodes:\n    x: {value: 2}\n    y: {formula: x}\n",
            "name: t\nkgi: y\nnodes:\n    x: {value: 2}\n    y: {formula: x}\n"
            "scenarios:\n    new: {x: 5}\n",
        ),
    ],
)
def test_layouts_are_edited_in_place(tmp_path: Path, before: str, after: str) -> None:
    """Whatever the layout around it, saving writes the scenario and changes nothing else."""
    path = tmp_path / "tree.yaml"
    path.write_text(before, encoding="utf-8")
    save_scenario(path, "new", {"x": 5}, version(path))
    assert path.read_text(encoding="utf-8") == after


def test_replacing_a_scenario_changes_only_its_line(trees: Path) -> None:
    """Saving under an existing name replaces that scenario's values where it stands; its
    comment and the other scenarios stay."""
    path = trees / "saas_arr.yaml"
    before = path.read_text(encoding="utf-8")
    save_scenario(path, "optimistic", {"sql_rate": 0.16}, version(path))
    after = path.read_text(encoding="utf-8")
    assert opcodes(before, after) == ["replace"]
    assert added_lines(before, after) == ["  optimistic: {sql_rate: 0.16}"]
    assert "  # Inside sales reaches the 15 % target, closing improves, churn falls.\n" in after
    tree = kpitree.load(path)
    assert tree.scenarios["optimistic"] == {"sql_rate": 0.16}
    assert list(tree.scenarios) == ["optimistic", "pessimistic"]


@pytest.mark.parametrize(
    "number", [0.1 + 0.2, 1e-5, 2.5e-7, 1.4e9, 123456789.123456789, 1 / 3, 9007199254740993.0]
)
def test_numbers_are_written_in_full(tmp_path: Path, number: float) -> None:
    """Every float is written so that it reads back as exactly the same float."""
    path = tmp_path / "tree.yaml"
    path.write_text("name: t\nkgi: y\nnodes:\n  x: {value: 2}\n  y: {formula: x}\n")
    save_scenario(path, "s", {"x": number}, version(path))
    assert kpitree.load(path).scenarios["s"]["x"] == number


def test_saved_scenario_evaluates_like_set_on_the_command_line(trees: Path) -> None:
    """``kpitree eval --scenario NAME`` on the saved file prints the numbers ``--set`` gives."""
    path = trees / "saas_arr.yaml"
    visits = [15000 + 500 * month for month in range(12)]
    save_scenario(
        path, "review", {"win_rate": "27%", "visits": visits, "churn_rate": 0.0095}, version(path)
    )

    def evaluated(*options: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "kpitree", "eval", str(path), "--format", "json"]
        done = subprocess.run(
            [*command, *options], capture_output=True, text=True, cwd=ROOT, check=True
        )
        return json.loads(done.stdout)["values"]

    saved = evaluated("--scenario", "review")
    typed = evaluated(
        "--set", "win_rate=27%", "--set", f"visits=[{', '.join(map(str, visits))}]",
        "--set", "churn_rate=0.0095",
    )  # fmt: skip
    assert saved == typed
    assert saved != evaluated()


def test_snippet_pasted_under_scenarios_evaluates_like_set(trees: Path) -> None:
    """The downloadable snippet, pasted under a tree's ``scenarios:``, gives the evaluation that
    the same values as overrides give."""
    overrides = {"win_rate": "27%", "sql_rate": 0.125, "visits": [20000] * 12}
    snippet = scenario_yaml("from the room", overrides)
    assert snippet == (
        "scenarios:\n  from the room: {win_rate: 0.27, sql_rate: 0.125, visits: ["
        + ", ".join(["20000"] * 12)
        + "]}\n"
    )
    path = trees / "saas_arr.yaml"
    entry = snippet.splitlines()[1]
    text = path.read_text(encoding="utf-8").replace("scenarios:\n", f"scenarios:\n{entry}\n")
    path.write_text(text, encoding="utf-8")
    tree = kpitree.load(path)
    pasted = tree.evaluate(scenario="from the room").to_frame()
    typed = tree.evaluate(overrides=scenario_values(overrides)).to_frame()
    np.testing.assert_array_equal(pasted.to_numpy(), typed.to_numpy())


def test_snippet_reads_numbers_as_set_does() -> None:
    """The snippet refuses what ``--set`` refuses, with its message."""
    with pytest.raises(UsageError, match=r"win_rate: '__import__\('os'\)' is not a number"):
        scenario_yaml("s", {"win_rate": "__import__('os')"})
    assert scenario_yaml("s", {"x": "1_200", "y": "12%"}) == "scenarios:\n  s: {x: 1200, y: 0.12}\n"


def run_saver(
    path: Path, name: str, expected: str, start: Any, report: Any, pause: float = 0.0
) -> None:
    """Save scenario ``name`` once ``start`` lets every saver go; report the outcome."""
    start.wait()
    try:
        save_scenario(path, name, {"win_rate": 0.3 if name == "a" else 0.22}, expected)
    except ScenarioConflict:
        report("conflict")
    else:
        report("saved")


def check_one_of(path: Path, outcomes: dict[str, str]) -> None:
    """Exactly one saver won; the file loads and holds exactly its scenario."""
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    scenarios = kpitree.load(path).scenarios
    assert winner in scenarios
    assert {"a", "b"} - {winner} <= set(scenarios) ^ {"a", "b"}
    assert not ({"a", "b"} - {winner}) & set(scenarios)


def test_two_threads_saving_the_same_version(trees: Path) -> None:
    """Two threads saving over the same version: one saves, the other gets a conflict."""
    path = trees / "saas_arr.yaml"
    expected = version(path)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    threads = [
        threading.Thread(
            target=run_saver,
            args=(path, name, expected, start, lambda o, n=name: outcomes.__setitem__(n, o)),
        )
        for name in ("a", "b")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    check_one_of(path, outcomes)


def _process_saver(path: Path, name: str, expected: str, start: Any, sender: Any) -> None:
    run_saver(path, name, expected, start, lambda outcome: sender.send((name, outcome)))


def test_two_processes_saving_the_same_version(trees: Path) -> None:
    """Two processes saving over the same version serialise on the lock: one saves, the other
    gets a conflict, and the file holds the winner's scenario only."""
    path = trees / "saas_arr.yaml"
    expected = version(path)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    receive, send = context.Pipe(duplex=False)
    children = [
        context.Process(target=_process_saver, args=(path, name, expected, start, send))
        for name in ("a", "b")
    ]
    for child in children:
        child.start()
    outcomes = dict(receive.recv() for _ in children if receive.poll(60))
    for child in children:
        child.join(timeout=30)
    check_one_of(path, outcomes)


def test_lock_serialises_savers(trees: Path) -> None:
    """While another holder has the ``.TREE.lock`` file locked, a saver waits instead of
    writing, and saves once the lock is released."""
    path = trees / "saas_arr.yaml"
    expected = version(path)
    done = threading.Event()
    with (trees / ".saas_arr.yaml.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saver = threading.Thread(
            target=lambda: (save_scenario(path, "late", {"win_rate": 0.3}, expected), done.set())
        )
        saver.start()
        assert not done.wait(0.5)
    saver.join(timeout=30)
    assert done.is_set()
    assert "late" in kpitree.load(path).scenarios


def test_edit_by_hand_since_load_is_a_conflict(trees: Path) -> None:
    """A tree edited by hand between loading and saving is not overwritten."""
    path = trees / "saas_arr.yaml"
    expected = version(path)
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    edited = path.read_bytes()
    with pytest.raises(ScenarioConflict) as caught:
        save_scenario(path, "mine", {"win_rate": 0.3}, expected)
    assert str(caught.value) == (
        f"{path} changed since it was loaded (someone saved it or edited it): reload to see the "
        "new version, then save again"
    )
    assert isinstance(caught.value, DataError)
    assert path.read_bytes() == edited


def test_second_save_needs_the_version_the_first_returned(trees: Path) -> None:
    """A save returns the new version: saving again with it works, with the old one conflicts."""
    path = trees / "saas_arr.yaml"
    first = version(path)
    second = save_scenario(path, "one", {"win_rate": 0.3}, first)
    assert second == version(path) != first
    with pytest.raises(ScenarioConflict):
        save_scenario(path, "two", {"win_rate": 0.3}, first)
    save_scenario(path, "two", {"win_rate": 0.3}, second)
    assert {"one", "two"} <= set(kpitree.load(path).scenarios)


def test_touched_source_does_not_block_a_save(trees: Path) -> None:
    """Record data touched since the page loaded changes the version but not the tree file:
    the save goes through."""
    path = trees / "saas_arr_measured.yaml"
    expected = version(path)
    leads = trees / "crm" / "leads.csv"
    os.utime(leads, ns=(leads.stat().st_atime_ns, leads.stat().st_mtime_ns + 10**9))
    assert version(path) != expected
    save_scenario(path, "s", {"win_rate": 0.3}, expected)
    assert "s" in kpitree.load(path).scenarios


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"win_rate": 1.5}, DataError, r":262: node 'win_rate': value 1.5 is outside bounds"),
        ({"__import__": 1}, DataError, r":262: '__import__' is not a node"),
        ({"win_rate": "__import__('os')"}, UsageError, r"'__import__\('os'\)' is not a number"),
        ({"arr": 1.0}, DataError, r":262: node 'arr' is derived"),
        ({"win_rate": [0.2, 0.3]}, DataError, r"expected 12 values \(one per period\), found 2"),
        ({"win_rate": True}, DataError, r"win_rate: expected a number, found True"),
        ({"win_rate": float("nan")}, DataError, r"win_rate: expected a finite number"),
        ({"win_rate": {"a": 1}}, DataError, r"win_rate: expected a number"),
        ({3: 0.2}, DataError, r"an input name must be text"),
    ],
)
def test_bad_values_leave_the_file_as_it_was(
    trees: Path, overrides: dict[Any, Any], error: type[Exception], message: str
) -> None:
    """A value the tree refuses raises the reader's (or ``--set``'s) error and the file stays
    byte for byte as it was, with no temporary file left."""
    path = trees / "saas_arr.yaml"
    before = path.read_bytes()
    listing = sorted(os.listdir(trees))
    with pytest.raises(error, match=message) as caught:
        save_scenario(path, "bad", overrides, version(path))
    if ":262:" in message:
        assert str(caught.value).startswith(f"{path}:262: ")
    assert path.read_bytes() == before
    assert set(os.listdir(trees)) - set(listing) <= {".saas_arr.yaml.lock"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        (" padded", "without spaces at either end"),
        ("two\nlines", "must be printable"),
        ("x" * 101, "longer than 100 characters"),
        (7, "must be text"),
    ],
)
def test_bad_scenario_names_are_refused(trees: Path, name: Any, message: str) -> None:
    """A name that cannot name a saved scenario is refused before anything is read."""
    path = trees / "saas_arr.yaml"
    before = path.read_bytes()
    with pytest.raises(DataError, match=message):
        save_scenario(path, name, {"win_rate": 0.3}, version(path))
    with pytest.raises(DataError, match=message):
        scenario_yaml(name, {"win_rate": 0.3})
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "name", ["optimistic 2", "楽観ケース", "Q3-plan.v2", "true", "123", "null"]
)
def test_unusual_names_read_back_as_written(trees: Path, name: str) -> None:
    """Names YAML would read as something else are quoted, so the tree reads the same name."""
    path = trees / "saas_arr.yaml"
    assert check_scenario_name(name) == name
    save_scenario(path, name, {"win_rate": 0.3}, version(path))
    assert kpitree.load(path).scenarios[name] == {"win_rate": 0.3}


def test_failed_write_leaves_the_file_and_no_temporary(
    trees: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails (disk full when renaming) leaves the tree as it was and no temporary
    file behind, with a one-line message."""
    path = trees / "saas_arr.yaml"
    before = path.read_bytes()
    listing = sorted(os.listdir(trees))

    def full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scenario_file.os, "replace", full)
    with pytest.raises(DataError, match="cannot save the scenario: No space left on device"):
        save_scenario(path, "s", {"win_rate": 0.3}, version(path))
    assert path.read_bytes() == before
    assert set(os.listdir(trees)) - set(listing) <= {".saas_arr.yaml.lock"}


def save_as_nobody(path: Path, expected: str) -> tuple[str, str]:
    """Save a scenario into ``path`` from a forked child running as user ``nobody`` (root
    writes anywhere, so a read-only folder is only read-only to another user); return the
    error's class name and message, or ``("saved", "")``."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        os.setgid(65534)
        os.setuid(65534)
        try:
            save_scenario(path, "s", {"win_rate": 0.3}, expected)
        except Exception as error:  # the parent checks which
            send.send((type(error).__name__, str(error)))
        else:
            send.send(("saved", ""))

    process = context.Process(target=child)
    process.start()
    outcome = receive.recv() if receive.poll(60) else ("timeout", "")
    process.join(timeout=30)
    return outcome


def test_read_only_folder_leaves_the_file() -> None:
    """In a folder the server may not write to (its lock file there already), the save fails
    with a one-line message, the tree stays as it was and nothing is left behind."""
    folder = Path(tempfile.mkdtemp(prefix="kpitree-readonly-"))
    try:
        shutil.copy(ROOT / "trees" / "saas_arr.yaml", folder / "saas_arr.yaml")
        lock = folder / ".saas_arr.yaml.lock"
        lock.touch()
        lock.chmod(0o666)
        path = folder / "saas_arr.yaml"
        before = path.read_bytes()
        expected = version(path)
        if os.geteuid() == 0:
            folder.chmod(0o755)
            outcome = save_as_nobody(path, expected)
        else:
            folder.chmod(0o555)
            try:
                save_scenario(path, "s", {"win_rate": 0.3}, expected)
                outcome = ("saved", "")
            except DataError as error:
                outcome = (type(error).__name__, str(error))
        assert outcome == ("DataError", f"{path}: cannot save the scenario: Permission denied")
        assert path.read_bytes() == before
        assert sorted(os.listdir(folder)) == [".saas_arr.yaml.lock", "saas_arr.yaml"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_file_mode_and_line_endings_are_kept(tmp_path: Path) -> None:
    """The saved file keeps its permissions and its CRLF line endings."""
    path = tmp_path / "tree.yaml"
    path.write_bytes(b"name: t\r\nkgi: y\r\nnodes:\r\n  x: {value: 2}\r\n  y: {formula: x}\r\n")
    path.chmod(0o640)
    save_scenario(path, "s", {"x": 3}, version(path))
    assert path.stat().st_mode & 0o777 == 0o640
    assert path.read_bytes().endswith(b"  y: {formula: x}\r\nscenarios:\r\n  s: {x: 3}\r\n")


def test_missing_tree_file_is_a_spec_error(tmp_path: Path) -> None:
    """Saving into a tree file that is gone says so, as the reader would."""
    with pytest.raises(SpecError, match="cannot read the tree file"):
        save_scenario(tmp_path / "gone.yaml", "s", {"x": 3}, "0-0")


def test_errors_are_kpitree_errors(trees: Path) -> None:
    """Every refusal is a KpiTreeError, so the server turns it into a 400 or 409."""
    path = trees / "saas_arr.yaml"
    for overrides in ({"win_rate": 2}, {"win_rate": "x"}):
        with pytest.raises(KpiTreeError):
            save_scenario(path, "s", overrides, version(path))
    with pytest.raises(KpiTreeError):
        save_scenario(path, "s", {"win_rate": 0.3}, "stale")


def test_unwritable_folder_leaves_the_file(trees: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When no temporary file can be made next to the tree (a read-only folder, as root sees
    it only through this), the save fails with a message and the tree stays as it was."""
    path = trees / "saas_arr.yaml"
    before = path.read_bytes()
    expected = version(path)

    def refused(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(scenario_file.tempfile, "mkstemp", refused)
    with pytest.raises(DataError, match=r"cannot save the scenario: Permission denied"):
        save_scenario(path, "s", {"win_rate": 0.3}, expected)
    assert path.read_bytes() == before


def test_symbolic_link_is_kept(tmp_path: Path) -> None:
    """A tree reached through a symbolic link is saved in the file it points to; the link
    stays a link, and the lock sits next to the real file."""
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "tree.yaml"
    real.write_text("name: t\nkgi: y\nnodes:\n  x: {value: 2}\n  y: {formula: x}\n")
    link = tmp_path / "tree.yaml"
    link.symlink_to(real)
    save_scenario(link, "s", {"x": 3}, version(link))
    assert link.is_symlink()
    assert kpitree.load(real).scenarios["s"] == {"x": 3}
    assert (tmp_path / "real" / ".tree.yaml.lock").exists()
    assert not (tmp_path / ".tree.yaml.lock").exists()


def test_pipe_is_not_read(tmp_path: Path) -> None:
    """A named pipe given as the tree is refused at once instead of waiting for a writer."""
    pipe = tmp_path / "tree.yaml"
    os.mkfifo(pipe)
    with pytest.raises(SpecError, match="is not a regular file"):
        save_scenario(pipe, "s", {"x": 3}, "0-0")


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8-sig", b"\xef\xbb\xbf"), ("cp932", b"# \x8cv\x89\xe6")]
)
def test_file_encoding_is_kept(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    """A tree saved with a byte-order mark, or in Shift-JIS, is written back in the same
    encoding, its Japanese comment intact."""
    path = tmp_path / "tree.yaml"
    text = "# 計画\nname: t\nkgi: y\nnodes:\n  x: {value: 2}\n  y: {formula: x}\n"
    path.write_bytes(text.encode(encoding))
    assert path.read_bytes().startswith(prefix)
    save_scenario(path, "楽観", {"x": 3}, version(path))
    assert path.read_bytes() == (text + "scenarios:\n  楽観: {x: 3}\n").encode(encoding)


def test_name_the_encoding_cannot_write_is_refused(tmp_path: Path) -> None:
    """A Shift-JIS tree cannot hold an emoji: the save says so and leaves the file."""
    path = tmp_path / "tree.yaml"
    path.write_bytes("# 計画\nname: t\nkgi: x\nnodes:\n  x: {value: 2}\n".encode("cp932"))
    before = path.read_bytes()
    with pytest.raises(DataError, match=r"encoding \(cp932\) cannot write: save the tree as UTF-8"):
        save_scenario(path, "plan 😀", {"x": 3}, version(path))
    assert path.read_bytes() == before
