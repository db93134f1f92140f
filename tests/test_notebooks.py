"""The walk-through notebooks run clean and say what the API computes.

Each notebook in notebooks/ is executed in a fresh kernel (the python running the tests, working
directory notebooks/, the repository first on PYTHONPATH so the kernel imports this checkout of
kpitree whether or not it is installed). A cell that raises fails the test; so does anything
written to stderr (a warning in a notebook is a defect the reader sees). The numbers the
notebooks print are then checked against the API called here.

``python tests/test_notebooks.py`` re-executes the notebooks and saves them with fresh outputs
(run it after editing a notebook or changing an analysis whose numbers it shows).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = (
    "01_planning_backward_from_arr.ipynb",
    "02_finance_forecast.ipynb",
    "03_finding_the_bottleneck.ipynb",
    "04_charts_inline.ipynb",
)
CELL_TIMEOUT = 120  # seconds per cell: generous for a loaded 2-core machine; cells take < 2 s

# The notebooks' own seeds and sizes (a change there must be made here too).
FORECAST_SAMPLES, FORECAST_SEED = 10_000, 2027
SOBOL_SAMPLES, SOBOL_SEED = 1024, 2027


def kernel_env() -> dict[str, str]:
    """The kernel's environment: this one, with this checkout first on PYTHONPATH and no
    MPLBACKEND (the kernel's default backend, inline, is the one readers get)."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def execute(name: str):  # -> nbformat.NotebookNode
    """Run notebook ``name`` top to bottom in a new kernel and return it with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        # The kernel logs a warning about unencrypted TCP on localhost at every start.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        record_timing=False,  # no timestamps in the saved file: a re-run changes only outputs
    )
    client.execute(env=kernel_env())
    return notebook


def outputs(notebook, kind: str = "text") -> list[str]:
    """Every text output (stream and text/plain), or ``kind="image"``: every PNG."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if kind == "image":
                if "image/png" in output.get("data", {}):
                    found.append(output["data"]["image/png"])
            elif output["output_type"] == "stream":
                found.append(output["text"])
            elif "text/plain" in output.get("data", {}):
                found.append(output["data"]["text/plain"])
    return found


def stderr(notebook) -> list[str]:
    """Everything the notebook wrote to stderr."""
    return [
        output["text"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output["output_type"] == "stream" and output["name"] == "stderr"
    ]


def number(text: str, pattern: str) -> float:
    """The number captured by ``pattern`` in ``text`` (thousands separators removed)."""
    match = re.search(pattern, text)
    if match is None:
        raise AssertionError(f"no match for {pattern!r} in the notebook's output")
    return float(match.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def executed() -> dict[str, object]:
    """The three notebooks, each executed once for the module."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    return {name: execute(name) for name in NAMES}


@pytest.fixture(scope="module")
def tree():
    """The tree every notebook reads."""
    import kpitree

    return kpitree.load(ROOT / "trees" / "saas_arr.yaml")


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_clean_and_draws(executed: dict[str, object], name: str) -> None:
    """A notebook executes without error, writes nothing to stderr and draws at least two figures."""
    notebook = executed[name]
    assert stderr(notebook) == []
    assert len(outputs(notebook, "image")) >= 2


@pytest.mark.parametrize("name", NAMES)
def test_saved_notebook_is_a_complete_run(name: str) -> None:
    """The committed notebook carries the outputs of one clean run: every code cell executed in
    order, none failed, and its figures stored."""
    import nbformat

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    errors = [o for cell in code for o in cell.outputs if o["output_type"] == "error"]
    assert errors == []
    assert stderr(notebook) == []
    assert len(outputs(notebook, "image")) >= 2


def _code(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_show_plots_without_figure_attribute(name: str) -> None:
    """No notebook needs ``.figure`` or a ``%matplotlib`` line to show a chart: plain
    ``result.plot()`` does."""
    import nbformat

    source = "\n".join(c.source for c in _code(nbformat.read(NOTEBOOKS / name, as_version=4)))
    assert ".figure\n" not in source + "\n"
    assert "%matplotlib" not in source
    assert re.search(r"\bplot(_\w+)?\(", source)


def test_inline_notebook_shows_each_chart_once(executed: dict[str, object]) -> None:
    """Notebook 04 shows one PNG for each cell that draws, through the inline backend (no
    ``%matplotlib`` line), the returned Axes is pyplot's current figure, and rcParams'
    font.family stays as the reader set it."""
    notebook = executed["04_charts_inline.ipynb"]
    for cell in _code(notebook):
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        draws = re.search(r"\bplot(_\w+)?\(", cell.source) is not None
        assert len(images) == (1 if draws else 0), cell.source
        for output in images:
            assert output["output_type"] == "display_data"
    text = "\n".join(outputs(notebook))
    assert "<Axes" not in text
    assert "the chart is pyplot's current figure: True" in text
    assert "font.family after plotting: ['serif']" in text


def test_planning_notebook_prints_the_solved_levers(executed: dict[str, object], tree) -> None:
    """Notebook 01 prints the opportunity rate, the min-effort plan and the leads needed that
    tree.solve computes."""
    text = "\n".join(outputs(executed[NAMES[0]]))
    one = tree.solve(["sql_rate"])
    # Printed in percent with two decimals: within half a unit of the last digit.
    assert number(text, r"opportunity rate must rise from [\d.]+ % to ([\d.]+) %") == (
        pytest.approx(100 * one.values["sql_rate"], abs=0.005)
    )
    volume = tree.solve(["visits", "ad_budget", "outbound_leads"], mode="uniform")
    leads = volume.cascade().to_frame().loc["leads", "total"]
    assert number(text, r"([\d,]+) leads over the year") == pytest.approx(leads, abs=0.5)
    assert number(text, r"goal:\s+ARR ([\d,]+) JPY") == tree.nodes["arr"].target


def test_forecast_notebook_prints_the_forecast_and_sobol(executed: dict[str, object], tree) -> None:
    """Notebook 02 prints the chance of the goal of the seeded forecast and names the input with
    the largest total Sobol index."""
    text = "\n".join(outputs(executed[NAMES[1]]))
    forecast = tree.forecast(samples=FORECAST_SAMPLES, seed=FORECAST_SEED)
    assert number(text, r"reaches the goal in ([\d.]+) % of") == pytest.approx(
        100 * forecast.p_target, abs=0.05
    )
    sobol = tree.sobol(samples=SOBOL_SAMPLES, seed=SOBOL_SEED).to_frame()
    assert re.search(rf"largest total index: {sobol['ST'].idxmax()}\b", text)


def test_bottleneck_notebook_prints_ranking_and_gap(executed: dict[str, object], tree) -> None:
    """Notebook 03 names the top lever and its gain, and the plan-vs-actual gap and its largest
    contributor, as bottlenecks() and attribute() compute them."""
    import kpitree

    text = "\n".join(outputs(executed[NAMES[2]]))
    top = tree.bottlenecks().ranking[0]
    assert re.search(rf"biggest lever: {top.name}\b", text)
    assert number(text, r"biggest lever: \w+ .*?adds ([\d,]+) JPY") == pytest.approx(
        top.gain, abs=0.5
    )
    actuals = kpitree.read_actuals(ROOT / "trees" / "saas_arr_actuals.csv", tree)
    gap = tree.attribute(actuals)
    assert number(text, r"ARR is ([\d,]+) JPY below plan") == pytest.approx(-gap.delta, abs=0.5)
    assert re.search(rf"largest single cause: {gap.changed[0]}\b", text)


if __name__ == "__main__":
    import nbformat

    for name in sys.argv[1:] or NAMES:
        nbformat.write(execute(name), NOTEBOOKS / name)
        print(f"executed and saved notebooks/{name}")
