"""``kpitree check TREE --actuals FILE``: exit 1 when an alert fires on the actuals."""

from __future__ import annotations

import argparse

from kpitree.cli.compare import add_actuals
from kpitree.cli.options import add_format, add_tree, emit, load_tree


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "check",
        help="check alert thresholds on actuals",
        description="Check every 'alert:' threshold of the tree on the actual values, in each "
        "period with actuals. Prints one line per alert (node, period, value, threshold, "
        "owner). Exit status 1 when any alert fires, 0 when none does: fit for a scheduled job.",
    )
    add_tree(parser)
    add_actuals(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check and print; 1 when an alert fired."""
    from kpitree.actuals import read_actuals
    from kpitree.analysis.alert_list import Alerts
    from kpitree.analysis.compare import check_actuals

    tree = load_tree(args)
    actuals = read_actuals(args.actuals, tree)
    hits = check_actuals(tree, actuals, plan=args.plan)
    labels = actuals.period_labels
    result = Alerts(tree, tuple(hits), None if labels is None else tuple(labels))
    emit(args, result)
    return 1 if result.fired else 0
