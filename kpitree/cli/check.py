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
        "owner). Exit status 1 when any alert fires, 0 when none does: fit for a scheduled job. "
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
    from kpitree.analysis.alert_list import alerts_on

    tree = load_tree(args)
    result = alerts_on(tree, required_actuals(args, tree), plan=args.plan)
    hits = list(result.hits)
    emit(args, result)
    # The delivery lines follow a table on standard output; they would break JSON or CSV there.
    plain = args.format == "table" and getattr(args, "output", None) is None
    return alert_status(
        hits, args.notify, Path(args.tree).name, report=sys.stdout if plain else sys.stderr
    )
