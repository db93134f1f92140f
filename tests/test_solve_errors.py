"""One test per error message of solve: exit 2, one line on standard error, nothing on stdout."""

from __future__ import annotations

import pytest
from conftest import TREES

SAAS = TREES / "saas_arr.yaml"

NO_TARGET = """
name: t
kgi: y
nodes:
  x: {value: 1}
  y: {formula: 2 * x}
"""

ZERO = """
name: t
kgi: y
nodes:
  x: {value: 0}
  z: {value: 2}
  y: {formula: x + z, target: 5}
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--lever", "leads"],
            "kpitree: lever 'leads' is derived (formula: web_leads + paid_leads + outbound_leads); a lever must be an input (did you mean 'outbound_leads'?)",
        ),
        (
            ["--lever", "win_rat"],
            "kpitree: no node 'win_rat' in tree 'saas_arr' (did you mean 'win_rate'?)",
        ),
        (
            ["--lever", "win_rate", "--lever", "win_rate"],
            "kpitree: lever 'win_rate' is given twice",
        ),
        (
            ["--lever", "gross_margin"],
            "kpitree: lever 'gross_margin' does not affect node 'arr' (inputs that do: visits, visit_cvr, ad_budget, cpl, outbound_leads, mql_rate, sql_rate, win_rate, new_arpu, churn_rate, expansion_rate)",
        ),
        (["--lever", "win_rate", "--target", "lots"], "kpitree: --target: 'lots' is not a number"),
        (
            ["--lever", "win_rate", "--target", "nan"],
            "kpitree: --target: expected a finite number, found 'nan'",
        ),
        (
            ["--lever", "win_rate", "--node", "sqll"],
            "kpitree: no node 'sqll' in tree 'saas_arr' (did you mean 'sql'?)",
        ),
        (
            ["--lever", "win_rate", "--lever", "sql_rate", "--weight", "win_rate"],
            "kpitree: --weight takes NAME=W, found 'win_rate'",
        ),
        (
            ["--lever", "win_rate", "--lever", "sql_rate", "--weight", "win_rate=2"],
            "kpitree: weights are used by mode 'weighted' only; mode is 'uniform'",
        ),
        (
            [
                "--lever",
                "win_rate",
                "--lever",
                "sql_rate",
                "--mode",
                "weighted",
                "--weight",
                "mql_rate=2",
            ],
            "kpitree: weight given for 'mql_rate', which is not a lever (levers: win_rate, sql_rate)",
        ),
        (
            [
                "--lever",
                "win_rate",
                "--lever",
                "sql_rate",
                "--mode",
                "weighted",
                "--weight",
                "win_rate=-1",
            ],
            "kpitree: weight of lever 'win_rate' must be a positive number, found -1.0",
        ),
        (
            ["--lever", "win_rate", "--node", "sql"],
            "kpitree: node 'sql' has no target: give one (--target VALUE on the command line, target= in Python) or add 'target:' to the node in the tree file",
        ),
    ],
)
def test_bad_solve_arguments(cli, args, message) -> None:
    """Each bad argument gives exit 2 and exactly its one-line message."""
    status, out, err = cli("solve", SAAS, *args)
    assert status == 2
    assert out == ""
    assert err == message + "\n"


def test_no_target_anywhere(cli, write_tree) -> None:
    """A KGI without target and no --target: exit 2 naming the node."""
    status, out, err = cli("solve", write_tree(NO_TARGET), "--lever", "x")
    assert (status, out) == (2, "")
    assert err.startswith("kpitree: node 'y' has no target")


def test_zero_lever_cannot_move_by_a_relative_change(cli, write_tree) -> None:
    """A lever at 0 among several: exit 2 with the fix; alone it is solved for its value."""
    path = write_tree(ZERO)
    status, out, err = cli("solve", path, "--lever", "x", "--lever", "z")
    assert (status, out) == (2, "")
    assert err == (
        "kpitree: lever 'x' is 0: a relative change cannot move it; give it a non-zero value "
        "(--set) or solve for it alone\n"
    )
    status, out, _ = cli("solve", path, "--lever", "x", "--format", "json")
    assert status == 0
    assert '"x": 3.0' in out


def test_lever_is_required(cli) -> None:
    """Without --lever argparse refuses with exit 2."""
    status, out, err = cli("solve", SAAS)
    assert (status, out) == (2, "")
    assert "--lever" in err


def test_api_errors() -> None:
    """The Python API refuses an unknown mode and an empty lever list with SolveError."""
    import kpitree
    from kpitree.errors import SolveError

    tree = kpitree.load(SAAS)
    with pytest.raises(
        SolveError, match="mode 'fastest' is not one of uniform, weighted, min-effort"
    ):
        tree.solve(["win_rate"], mode="fastest")
    with pytest.raises(SolveError, match=r"give at least one lever \(--lever NAME\)"):
        tree.solve([])
