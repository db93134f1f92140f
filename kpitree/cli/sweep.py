"""``kpitree sweep TREE --grid NAME=LOW:HIGH:STEPS``: the forecast at every grid point."""

from __future__ import annotations

import argparse

from kpitree.cli.forecast import FIXED_RULE, add_sampling
from kpitree.cli.options import (
    UsageError,
    add_format,
    add_plot,
    add_tree,
    add_values,
    emit,
    figure_format,
    load_tree,
    note,
    parse_number,
    parse_overrides,
    parse_whole,
    write_figure,
)
from kpitree.cli.workers import add_workers, open_executor


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "sweep",
        help="chance of the target over a grid of input values",
        description="Forecast the KGI at every point of a grid of input values (each swept "
        "input fixed at the point's value on every path, the same seed at every point): the "
        "chance of the target, the mean and the 5/50/95 %% quantiles at the last period. "
        + FIXED_RULE.replace("%", "%%"),
    )
    add_tree(parser)
    parser.add_argument(
        "--grid",
        dest="grid",
        metavar="NAME=LOW:HIGH:STEPS",
        action="append",
        required=True,
        help="an input and STEPS evenly spaced values from LOW to HIGH (12%%:18%%:7); "
        "repeat for a grid of several inputs",
    )
    parser.add_argument(
        "--target", metavar="VALUE", help="the value to reach at the last period "
        "(default: the KGI's target)"
    )  # fmt: skip
    add_values(parser)
    add_sampling(parser, default_samples="10_000")
    add_workers(parser)
    add_plot(parser, "heat map of the chance of the target (one or two inputs)")
    add_format(parser)
    parser.set_defaults(run=run)


def parse_grid(items: list[str]) -> dict[str, tuple[float, ...]]:
    """``["win_rate=0.2:0.3:11"]`` -> ``{"win_rate": (0.2, 0.21, ..., 0.3)}``."""
    from kpitree.analysis.sweep import grid_values

    grid: dict[str, tuple[float, ...]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        parts = text.split(":")
        if not sep or not name or len(parts) != 3:
            raise UsageError(f"--grid takes NAME=LOW:HIGH:STEPS, found '{item}'")
        if name in grid:
            raise UsageError(f"--grid: input '{name}' is given twice")
        low = parse_number(parts[0], f"--grid {name} LOW")
        high = parse_number(parts[1], f"--grid {name} HIGH")
        steps = parse_whole(parts[2], f"--grid {name} STEPS")
        if not steps:
            raise UsageError(f"--grid {name}: STEPS must be at least 1")
        grid[name] = grid_values(low, high, steps)
    return grid


def run(args: argparse.Namespace) -> int:
    """Sweep, print, and write the heat map if asked."""
    from kpitree.analysis.sweep import sweep

    figure_format(args.plot)
    grid = parse_grid(args.grid)
    if args.plot and len(grid) > 2:
        raise UsageError(f"--plot: a sweep of {len(grid)} inputs has no chart; sweep one or two")
    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    target = None if args.target is None else parse_number(args.target, "--target")
    overrides = parse_overrides(args.overrides)
    tree = load_tree(args)
    with open_executor(args) as executor:
        result = sweep(
            tree, grid, samples=10_000 if samples is None else samples, seed=seed, target=target,
            overrides=overrides,
            scenario=args.scenario, executor=executor,
        )  # fmt: skip
    if args.plot:
        if result.target is None:
            raise UsageError(f"--plot: node '{tree.kgi}' has no target; give --target")
        from kpitree.plots.sweep import plot_sweep

        write_figure(plot_sweep(result).figure, args.plot)
    emit(args, result)
    if args.format == "csv" and result.fixed:
        note(args, f"fixed inputs: {result.fixed}")
    return 0
