"""``kpitree check TREE (--actuals FILE | --measure) [--notify URL]``: exit 1 when an alert
fires on the actuals, 3 when it fired and a message to its owner could not be delivered."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpitree.cli.compare import add_actuals, required_actuals
from kpitree.cli.notify import add_notify, alert_status
from kpitree.cli.options import add_format, add_tree, emit, load_tree


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "check",
        help="check alert thresholds on actuals",
        description="Check every 'alert:' threshold of the tree on the actual values, in each "
        "period with actuals. Prints one line per alert (node, period, value, threshold, "
        "owner), then the KGI and every node with an alert or target against plan at the last "
        "period with actuals (a stock judged by its change over the period, net new, against "
        "the plan's change). Exit status 1 when any alert fires, 0 when none does: fit for a "
        "scheduled job. "
        "With --notify, each owner gets one message listing their alerts; exit 3 when one "
        "could not be delivered (the alerts are printed all the same).",
    )
    add_tree(parser)
    add_actuals(parser)
    add_notify(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check, print and notify; 1 when an alert fired, 3 when it could not be delivered."""
    import kpitree.present.check  # noqa: F401  (registers the check table's layout)
    from kpitree.analysis.alert_list import alerts_on
    from kpitree.analysis.check_status import Check
    from kpitree.analysis.compare import compare

    tree = load_tree(args)
    actuals = required_actuals(args, tree)
    alerts = alerts_on(tree, actuals, plan=args.plan)
    hits = list(alerts.hits)
    comparison = compare(tree, actuals, plan=args.plan)
    emit(args, Check.of(alerts, comparison))
    # The delivery lines follow a table on standard output; they would break JSON or CSV there.
    plain = args.format == "table" and getattr(args, "output", None) is None
    return alert_status(
        hits, args.notify, Path(args.tree).name, report=sys.stdout if plain else sys.stderr
    )
