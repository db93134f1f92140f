"""``kpitree bottleneck TREE``: the levers ranked by KGI gain, the stalled stage, alerts."""

from __future__ import annotations

import argparse

from kpitree.cli.options import (
    UsageError,
    add_format,
    add_period,
    add_tree,
    add_values,
    emit,
    load_tree,
    parse_number,
    parse_overrides,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "bottleneck",
        help="which lever, moved realistically, raises the KGI most",
        description="Move each input the KGI depends on, one at a time, in the direction that "
        "improves the KGI (from the derivative's sign and the KGI's direction: lower churn is "
        "better, and for a lower-is-better KGI such as CAC a fall is the gain): an input worse "
        "than its benchmark range to the range's near edge, otherwise by a relative step toward "
        "the better end (not past it from inside the range); cap by its bounds; rank by the KGI "
        "gain, and by gain per effort where the input has an effort. Also names the stalled "
        "funnel stage (the conversion rate furthest below its benchmark) and the alerts that "
        "fire at base values.",
    )
    add_tree(parser)
    parser.add_argument(
        "--step",
        metavar="X",
        help="relative step for inputs inside or beyond their benchmark range, or without one "
        "(default 0.1; 10%% also works)",
    )
    parser.add_argument(
        "--to",
        choices=("near", "far"),
        default="near",
        help="near (default): an input below its benchmark range moves to the near edge; "
        "far: every input moves to the better end of its range",
    )
    add_period(parser)
    add_values(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute and print."""
    from kpitree.analysis.bottleneck import bottlenecks

    step = 0.1 if args.step is None else parse_number(args.step, "--step")
    if not step > 0:
        raise UsageError(f"--step: expected a number > 0, found '{args.step}'")
    tree = load_tree(args)
    result = bottlenecks(
        tree,
        step=step,
        to=args.to,
        period=args.period,
        overrides=parse_overrides(args.overrides),
        scenario=args.scenario,
    )
    emit(args, result)
    return 0
