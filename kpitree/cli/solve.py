"""``kpitree solve TREE --lever NAME``: lever values that reach the target, and the cascade."""

from __future__ import annotations

import argparse

from kpitree.cli.learn import add_actuals, parse_window, read_landing_actuals
from kpitree.cli.options import (
    UsageError,
    add_format,
    add_tree,
    add_values,
    emit,
    load_tree,
    note,
    parse_number,
    parse_overrides,
    parse_whole,
)

# The solve modes, repeated here so that `kpitree solve --help` does not import scipy.optimize;
# a test checks that they equal kpitree.analysis.multilever.MODES.
MODES = ("uniform", "weighted", "min-effort", "balanced")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "solve",
        help="set targets backward from the goal",
        description="Find the lever values at which the KGI (or --node) reaches its target, "
        "then evaluate the whole tree there: every node's target, grouped by owner. Exit "
        "status 1 when the target cannot be reached within the levers' bounds.",
    )
    add_tree(parser)
    parser.add_argument(
        "--lever",
        dest="levers",
        metavar="NAME",
        action="append",
        required=True,
        help="an input to move; repeat for several (a per-period input is scaled as a whole)",
    )
    parser.add_argument(
        "--target", metavar="VALUE", help="the value to reach (default: the node's target)"
    )
    parser.add_argument("--node", metavar="NAME", help="solve for this node (default: the KGI)")
    parser.add_argument(
        "--period", metavar="LABEL", help="meet the target of this period (a label or number; "
        "on a monthly tree also a quarter 2027-Q2 or year 2027, judged on the node's roll-up: "
        "a stock's last month, a flow's sum) instead of the last period's; the default target "
        "is the node's target at that period; not with --probability, which judges the last "
        "period of every path",
    )  # fmt: skip
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="uniform",
        help="several levers: uniform (same relative change), weighted (changes proportional "
        "to --weight), min-effort (least sum of effort x |ln(new/old)|: the whole move on the "
        "cheapest lever), balanced (least sum of effort x ln(new/old)^2: the move shared); "
        "default uniform",
    )
    parser.add_argument(
        "--within",
        choices=("bounds", "benchmark"),
        default="bounds",
        help="benchmark: treat each lever's benchmark range as bounds too (default: bounds "
        "only); either way a needed value beyond the better end of its benchmark, or one that "
        "trips its alert, is flagged",
    )
    parser.add_argument(
        "--weight",
        dest="weights",
        metavar="NAME=W",
        action="append",
        default=[],
        help="weight of a lever in --mode weighted (default 1); repeatable",
    )
    parser.add_argument(
        "--probability", metavar="P", help="solve for P(KGI reaches its target) = P instead "
        "of KGI = target (0 < P < 1; modes uniform and weighted), over --samples Monte Carlo "
        "paths seeded by --seed (the levers are fixed on every path, the other inputs drawn)",
    )  # fmt: skip
    parser.add_argument(
        "--samples", metavar="N", default="10_000",
        help="with --probability: number of paths (default: 10_000)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", metavar="S", help="with --probability: seed of the draws (default: a fresh "
        "seed, reported in the output)",
    )  # fmt: skip
    add_actuals(parser)
    parser.add_argument(
        "--learn", action="store_true", help="with --probability and actuals: draw each "
        "learnable conversion rate from its posterior given the actual counts",
    )  # fmt: skip
    add_values(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Solve, print, and exit 1 when the target is out of reach."""
    from kpitree.present.solution import warning_text

    if args.probability is not None:
        if args.period is not None:
            raise UsageError(
                "--period cannot be combined with --probability: the probability solve counts "
                "the paths that meet the target at the last period; solve --period without it"
            )
        return run_probability(args)
    landing_options = (
        (args.actuals is not None, "--actuals"), (args.measure, "--measure"),
        (args.learn, "--learn"), (args.window is not None, "--window"),
        (args.as_of is not None, "--as-of"), (args.sheet is not None, "--sheet"),
    )  # fmt: skip
    for given, option in landing_options:
        if given:
            raise UsageError(f"{option} goes with --probability (a landing solve)")
    tree = load_tree(args)
    target = parse_number(args.target, "--target") if args.target is not None else None
    solution = tree.solve(
        args.levers,
        target=target,
        mode=args.mode,
        weights=parse_weights(args.weights),
        node=args.node,
        overrides=parse_overrides(args.overrides),
        scenario=args.scenario,
        within=args.within,
        period=args.period,
    )
    emit(args, solution)
    if args.format in ("csv", "xlsx"):  # the cascade alone: the guardrails go beside it
        for warning in solution.warnings:
            note(args, warning_text(solution, warning), prefix="warning: ")
    return 0 if solution.feasible else 1


def run_probability(args: argparse.Namespace) -> int:
    """``--probability P``: solve for the chance of the target, print, exit 1 out of reach."""
    from kpitree.analysis.probability import solve_probability
    from kpitree.present.solution import warning_text

    probability = parse_number(args.probability, "--probability")
    if not 0 < probability < 1:
        raise UsageError(f"--probability: expected a number between 0 and 1, found {probability:g}")
    if args.node is not None:
        raise UsageError("--probability solves for the KGI: --node cannot be combined with it")
    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    window = parse_window(args)
    tree = load_tree(args)
    start = None
    if args.actuals is not None or args.measure:
        from kpitree.analysis.landing import landing

        actuals, as_of = read_landing_actuals(args, tree)
        start = landing(tree, actuals, as_of=as_of, learned=args.learn, window=window)
    elif args.learn or window is not None:
        raise UsageError("--learn and --window need --actuals FILE or --measure")
    target = parse_number(args.target, "--target") if args.target is not None else None
    result = solve_probability(
        tree, args.levers, probability, samples=10_000 if samples is None else samples,
        seed=seed, target=target,
        mode=args.mode, weights=parse_weights(args.weights),
        overrides=parse_overrides(args.overrides), scenario=args.scenario, within=args.within,
        landing=start,
    )  # fmt: skip
    emit(args, result)
    if args.format == "csv":
        for warning in result.solution.warnings:
            note(args, warning_text(result.solution, warning), prefix="warning: ")
    return 0 if result.feasible else 1


def parse_weights(items: list[str]) -> dict[str, float]:
    """``["win_rate=2"]`` -> ``{"win_rate": 2.0}``."""
    weights = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--weight takes NAME=W, found '{item}'")
        weights[name.strip()] = parse_number(text, f"--weight {name.strip()}")
    return weights
