"""Plots behave as matplotlib users expect: a figure made through pyplot when no ``ax`` is given,
the given axes drawn into otherwise, style keywords passed through, node labels on the charts,
and no pyplot figure left behind by the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_rgba

import kpitree
from kpitree.analysis.attribution import attribute
from kpitree.plots.forecast import forecast_figure, plot_fan, plot_histogram
from kpitree.plots.sobol import plot_shapley, plot_sobol
from kpitree.plots.sweep import plot_sweep
from kpitree.plots.tornado import plot_tornado
from kpitree.plots.tree_diagram import plot_tree
from kpitree.plots.waterfall import plot_waterfall

ROOT = Path(__file__).resolve().parent.parent
TREES = ROOT / "trees"
TREE = """
name: labelled
kgi: arr
nodes:
  leads: {value: 500, label: Leads per month, distribution: {dist: normal, mean: 500, sd: 50}}
  win_rate: {value: 0.25, bounds: [0, 1], distribution: {dist: beta, mean: 0.25, sd: 0.03}}
  arr: {formula: leads * win_rate * 3_600_000, label: Annual recurring revenue, target: 5e8}
"""


@pytest.fixture(scope="module")
def tree() -> kpitree.Tree:
    """A small tree: one input labelled, one not, the KGI labelled."""
    return kpitree.loads(TREE)


def _charts(tree):
    """(name, function drawing one chart into ``ax``) for every plot function."""
    forecast = tree.forecast(samples=200, seed=1)
    return [
        ("fan", lambda ax: plot_fan(forecast, ax=ax)),
        ("histogram", lambda ax: plot_histogram(forecast, ax=ax)),
        ("tornado", lambda ax: plot_tornado(tree.tornado(), ax=ax)),
        ("waterfall", lambda ax: plot_waterfall(_gap(tree), ax=ax)),
        ("sobol", lambda ax: plot_sobol(tree.sobol(samples=64, seed=1), ax=ax)),
        ("shapley", lambda ax: plot_shapley(tree.shapley(seed=1), ax=ax)),
        ("tree", lambda ax: plot_tree(tree, tree.evaluate(), ax=ax)),
        ("sweep", lambda ax: plot_sweep(_sweep(tree), ax=ax)),
    ]


def _sweep(tree):
    from kpitree.analysis.sweep import sweep

    grid = {"leads": [400.0, 500.0, 600.0], "win_rate": [0.2, 0.25, 0.3]}
    return sweep(tree, grid, samples=64, seed=1)


def test_without_ax_each_chart_is_pyplots_current_figure(tree) -> None:
    """With ax=None every chart makes a new pyplot figure, which plt.gcf() returns."""
    for name, draw in _charts(tree):
        before = set(plt.get_fignums())
        ax = draw(None)
        assert ax.figure is plt.gcf(), name
        assert len(set(plt.get_fignums()) - before) == 1, name


def test_given_ax_is_drawn_into_and_no_figure_is_made(tree) -> None:
    """With an ax every chart draws into it and returns it, making no other figure."""
    for name, draw in _charts(tree):
        _figure, ax = plt.subplots()
        count = len(plt.get_fignums())
        assert draw(ax) is ax, name
        assert ax.has_data() or ax.patches or ax.texts, name
        assert len(plt.get_fignums()) == count, name


def test_forecast_figure_is_made_through_pyplot(tree) -> None:
    """The two-panel forecast figure is pyplot's current figure."""
    figure = forecast_figure(tree.forecast(samples=200, seed=1))
    assert figure is plt.gcf()
    assert len(figure.axes) == 2


def test_style_keywords_reach_the_bars(tree) -> None:
    """color, alpha and edgecolor given to a bar chart are those of every bar drawn."""
    style = {"color": "purple", "alpha": 0.4, "edgecolor": "black"}
    charts = [
        plot_tornado(tree.tornado(), **style),
        plot_waterfall(_gap(tree), **style),
        plot_sobol(tree.sobol(samples=64, seed=1), **style),
        plot_shapley(tree.shapley(seed=1), **style),
    ]
    for ax in charts:
        bars = [patch for patch in ax.patches if patch.get_width() or patch.get_height()]
        assert bars
        for bar in bars:
            assert bar.get_facecolor() == pytest.approx(to_rgba("purple", 0.4))
            assert bar.get_edgecolor() == pytest.approx(to_rgba("black", 0.4))


def test_result_plot_methods_pass_style_through(tree) -> None:
    """Result.plot(**style) forwards the keywords to the plot function."""
    for ax in (
        tree.tornado().plot(alpha=0.3),
        _gap(tree).plot(alpha=0.3),
        tree.sobol(samples=64, seed=1).plot(alpha=0.3),
        tree.shapley(seed=1).plot(alpha=0.3),
    ):
        assert {patch.get_alpha() for patch in ax.patches} == {0.3}


def test_title_size_follows_rcparams(tree) -> None:
    """A user's axes.titlesize sets the charts' titles (no size is forced on them)."""
    with matplotlib.rc_context({"axes.titlesize": 21}):
        axes = [
            plot_tornado(tree.tornado()),
            plot_waterfall(_gap(tree)),
            plot_sobol(tree.sobol(samples=64, seed=1)),
            plot_fan(tree.forecast(samples=200, seed=1)),
        ]
    for ax in axes:
        assert ax.title.get_fontsize() == 21


def test_charts_name_nodes_by_label_or_name(tree) -> None:
    """Charts show a node's label, and its name when it has none."""
    tornado = plot_tornado(tree.tornado())
    ticks = " ".join(text.get_text() for text in tornado.get_yticklabels())
    assert "Leads per month" in ticks
    assert "win_rate" in ticks
    assert "Annual recurring revenue" in tornado.get_xlabel()
    sobol = plot_sobol(tree.sobol(samples=64, seed=1))
    names = {text.get_text() for text in sobol.get_yticklabels()}
    assert names == {"Leads per month", "win_rate"}
    assert "Annual recurring revenue" in sobol.get_title()
    waterfall = plot_waterfall(_gap(tree))
    names = {text.get_text().replace("\n", " ") for text in waterfall.get_xticklabels()}
    assert "Leads per month" in names
    fan = plot_fan(tree.forecast(samples=200, seed=1))
    assert "Annual recurring revenue" in fan.get_ylabel()


def _gap(tree):
    """The attribution of ARR's change when both inputs move."""
    return attribute(tree, new={"leads": 450, "win_rate": 0.27})


def test_cli_and_report_leave_no_pyplot_figure(cli, tmp_path) -> None:
    """Writing charts from the command line closes every pyplot figure it made."""
    plt.close("all")
    runs = [
        ("plot", TREES / "saas_arr.yaml", "-o", tmp_path / "tree.png"),
        ("tornado", TREES / "saas_arr.yaml", "--plot", tmp_path / "tornado.png"),
        ("forecast", TREES / "saas_arr.yaml", "--samples", "200", "--plot", tmp_path / "f.png"),
        ("report", TREES / "saas_arr.yaml", "-o", tmp_path / "report.html"),
    ]
    for argv in runs:
        status, _, err = cli(*argv)
        assert status == 0, err
        assert plt.get_fignums() == [], argv[0]


def test_cli_draws_headless(tmp_path) -> None:
    """With no display and no backend set, `kpitree plot` writes a PNG (pyplot falls back to
    Agg)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("MPLBACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = tmp_path / "tree.png"
    done = subprocess.run(
        [sys.executable, "-m", "kpitree", "plot", str(TREES / "saas_arr.yaml"), "-o", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_long_labels_are_cut_on_charts(tree) -> None:
    """A label of 10,000 characters is cut to 40 on the tornado and Sobol charts."""
    long = kpitree.loads(TREE.replace("Leads per month", "L" * 10_000))
    ticks = [t.get_text() for t in plot_tornado(long.tornado()).get_yticklabels()]
    assert max(len(tick.split("\n")[0]) for tick in ticks) == 40
    ticks = [t.get_text() for t in plot_sobol(long.sobol(samples=64, seed=1)).get_yticklabels()]
    assert max(len(tick) for tick in ticks) == 40


def test_high_churn_is_red_on_the_arr_tornado() -> None:
    """On the SaaS tree (ARR, higher is better) churn at its high value is drawn red and lowers
    ARR; the opportunity rate at its high value is green and raises it."""
    from matplotlib.colors import to_hex

    from kpitree.plots.tornado import BETTER_COLOR, LOW_HATCH, WORSE_COLOR

    saas = kpitree.load(TREES / "saas_arr.yaml")
    result = saas.tornado()
    ax = plot_tornado(result)
    count = len(result.bars)
    rows = {bar.name: count - 1 - number for number, bar in enumerate(result.bars)}
    for name, colour in (("churn_rate", WORSE_COLOR), ("sql_rate", BETTER_COLOR)):
        high = [
            patch
            for patch in ax.patches
            if abs(patch.get_y() + patch.get_height() / 2 - rows[name]) < 1e-9
            and patch.get_hatch() != LOW_HATCH
        ]
        assert len(high) == 1
        assert to_hex(high[0].get_facecolor()) == colour
        assert (high[0].get_width() > 0) == (colour == BETTER_COLOR)
