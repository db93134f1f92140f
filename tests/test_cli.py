"""The command line: validate and eval in every format, help, and the installed entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from conftest import TREES

COMMANDS = [
    "validate", "eval", "sensitivity", "tornado", "bottleneck", "solve", "forecast", "sobol",
    "compare", "attribute", "check", "plot", "report",
]  # fmt: skip


def test_validate_prints_a_one_line_summary(cli) -> None:
    """validate exits 0 with one line naming the tree, kgi and node counts."""
    status, out, err = cli("validate", TREES / "saas_arr.yaml")
    assert status == 0
    assert err == ""
    assert out.count("\n") == 1
    assert "ok: tree 'saas_arr', kgi 'arr', 30 nodes" in out


def test_eval_json_has_the_documented_shape(cli) -> None:
    """eval --format json gives tree, kgi, scenario, periods and a list per node for a timed
    tree."""
    status, out, _ = cli("eval", TREES / "saas_arr.yaml", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert set(data) == {"tree", "kgi", "scenario", "periods", "values"}
    assert data["scenario"] is None
    assert data["periods"][0] == "2027-01"
    assert data["periods"][-1] == "2027-12"
    assert len(data["values"]["arr"]) == 12
    assert data["values"]["arr"][0] == pytest.approx(927_000_000)


def test_eval_json_static_tree_has_numbers(cli) -> None:
    """A static tree's JSON has periods null and one number per node."""
    _, out, _ = cli("eval", TREES / "unit_economics.yaml", "--format", "json")
    data = json.loads(out)
    assert data["periods"] is None
    assert data["values"]["ltv_to_cac"] == pytest.approx(4.0)


def test_eval_csv_one_row_per_period(cli) -> None:
    """CSV has a period column and one column per node, one row per period."""
    _, out, _ = cli("eval", TREES / "saas_arr.yaml", "--format", "csv", "--set", "win_rate=30%")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12
    assert rows[0]["period"] == "2027-01"
    assert float(rows[0]["win_rate"]) == pytest.approx(0.3)
    _, out, _ = cli("eval", TREES / "nrr.yaml", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1
    assert float(rows[0]["nrr"]) == pytest.approx(1.08)


def test_eval_table_is_aligned_with_separators(cli) -> None:
    """The table marks the KGI, groups thousands and states the target share."""
    status, out, _ = cli("eval", TREES / "saas_arr.yaml")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("saas_arr: KGI arr = 1,308,900,607 at 2027-12 (target 1,400,000,000")
    arr_line = next(line for line in lines if line.startswith("* arr"))
    assert "927,000,000" in arr_line
    assert len({len(line) for line in lines[1:3]}) == 1  # header and rule line up


def test_eval_list_override_and_scenario(cli) -> None:
    """--set takes a per-period list; --scenario applies the tree's scenario."""
    visits = "[" + ", ".join(["20_000"] * 12) + "]"
    status, out, _ = cli(
        "eval", TREES / "saas_arr.yaml", "--set", f"visits={visits}", "--format", "json"
    )
    assert status == 0
    assert json.loads(out)["values"]["visits"] == [20000.0] * 12
    status, out, _ = cli(
        "eval", TREES / "saas_arr.yaml", "--scenario", "optimistic", "--format", "json"
    )
    assert status == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(cli, command) -> None:
    """Each sub-command's --help exits 0 and explains its options."""
    status, out, _ = cli(command, "--help")
    assert status == 0
    assert "TREE" in out


def test_usage_error_exits_2(cli) -> None:
    """An unknown option is a usage error with exit status 2."""
    status, _, err = cli("eval", "--no-such-option")
    assert status == 2
    assert "usage:" in err


def test_module_entry_point_runs() -> None:
    """python -m kpitree runs the same command line in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "kpitree", "eval", str(TREES / "sales_velocity.yaml"), "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["values"]["sales_velocity"] == pytest.approx(36_000_000)


def test_written_files_get_the_usual_permissions(tmp_path) -> None:
    """A file written whole (chart, report) gets 0666 less the umask, like any new file, and
    no temporary file is left behind."""
    import os

    from kpitree.cli.options import write_output

    umask = os.umask(0o022)
    try:
        target = tmp_path / "out.txt"
        write_output(target, "x")
        assert target.stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        write_output(target, "y")
        assert target.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)
    assert [path.name for path in tmp_path.iterdir()] == ["out.txt"]
    assert target.read_text() == "y"


# -- starting at once: a command imports what it computes with, when it runs -------------------
HEAVY = ("sympy", "scipy", "scipy.stats", "pandas", "matplotlib", "networkx")


def modules_loaded_by(code: str) -> set[str]:
    """The heavy libraries imported by running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.splitlines()[-1].split())


def test_help_imports_no_heavy_library() -> None:
    """kpitree --help and a command's --help build every parser without sympy, scipy, pandas,
    matplotlib or networkx."""
    code = (
        "import contextlib, io\nfrom kpitree.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n    assert main(['report', '--help']) == 0\n"
        "    assert main(['solve', '--help']) == 0"
    )
    assert modules_loaded_by(code) == set()


def test_validate_imports_only_what_reading_needs() -> None:
    """validate reads a tree without pandas or matplotlib, and without scipy.stats when the
    tree has no distribution."""
    run = "from kpitree.cli.main import main\nassert main(['validate', {!r}]) == 0"
    assert modules_loaded_by(run.format(str(TREES / "nrr.yaml"))) == {"sympy", "networkx"}
    assert "pandas" not in modules_loaded_by(run.format(str(TREES / "saas_arr.yaml")))
    assert "matplotlib" not in modules_loaded_by(run.format(str(TREES / "saas_arr.yaml")))


def test_import_kpitree_is_light_and_names_still_work() -> None:
    """import kpitree loads nothing heavy; kpitree.load, kpitree.Tree and the rest resolve on
    first use, and an unknown name is an AttributeError."""
    assert modules_loaded_by("import kpitree") == set()
    import kpitree

    for name in kpitree.__all__:
        assert getattr(kpitree, name) is not None
        assert name in dir(kpitree)
    assert kpitree.Tree is kpitree.load(TREES / "nrr.yaml").__class__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = kpitree.nope


def test_help_defaults_equal_the_library_defaults() -> None:
    """The solve modes and report defaults the CLI repeats (to keep --help light) are the
    library's own."""
    from kpitree.analysis.multilever import MODES
    from kpitree.cli import report, solve
    from kpitree.report.context import SAMPLES, SEED

    assert solve.MODES == MODES
    assert (report.SAMPLES, report.SEED) == (SAMPLES, SEED)
