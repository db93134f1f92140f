"""``kpitree check TREE --actuals FILE``: exit 1 when an alert fires on the actuals."""

from __future__ import annotations

import argparse

from kpitree.cli.compare import add_actuals, required_actuals
from kpitree.cli.options import add_tree, load_tree


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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check and print; 1 when an alert fired."""
    from kpitree.analysis.compare import check_actuals
    from kpitree.present.compare import alerts_text

    tree = load_tree(args)
    actuals = required_actuals(args, tree)
    hits = check_actuals(tree, actuals, plan=args.plan)
    print(alerts_text(hits, actuals.period_labels), end="")
    return 1 if hits else 0
