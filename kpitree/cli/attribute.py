"""``kpitree attribute TREE``: the KGI's change between two states, or from the previous period
(``--previous``), split per input (and per driver carried over)."""

from __future__ import annotations

import argparse

from kpitree.cli.actuals_source import add_actuals_source, has_actuals, read_actuals_source
from kpitree.cli.options import (
    UsageError,
    add_format,
    add_plot,
    add_tree,
    emit,
    figure_format,
    load_tree,
    write_figure,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "attribute",
        help="split the KGI's change into one contribution per input",
        description="Split the change of the KGI between two states into one contribution per "
        "input that add up exactly to the change (Shapley values; Owen values by owner beyond "
        "20 changed inputs). States: plan vs actuals (--actuals, at --period, default the last "
        "period with actuals) or two scenarios (--from, --to; either omitted is the tree's own "
        "values). With --previous: the change from the period before --period to --period on "
        "the plan (or --scenario, or --actuals), split per input and per driver carried over "
        "from earlier periods (prev(), delay()).",
    )
    add_tree(parser)
    add_actuals_source(parser, ": explain actual - plan")
    parser.add_argument(
        "--plan", metavar="SCENARIO", help="with --actuals: a scenario to use as the plan"
    )
    parser.add_argument("--from", dest="start", metavar="SCENARIO", help="the base scenario")
    parser.add_argument("--to", dest="end", metavar="SCENARIO", help="the new scenario")
    parser.add_argument(
        "--period", metavar="LABEL", help="the period at which the KGI is explained"
    )
    parser.add_argument(
        "--previous",
        action="store_true",
        help="explain the change from the previous period to --period (timed trees)",
    )
    parser.add_argument(
        "--scenario", metavar="NAME", help="with --previous: the scenario whose change is explained"
    )
    parser.add_argument("--node", metavar="NAME", help="explain this node instead of the KGI")
    add_plot(parser, "waterfall chart")
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Attribute, print, and plot when asked."""
    from kpitree.analysis.attribution import attribute_actuals, attribute_scenarios
    from kpitree.analysis.period_change import attribute_previous, attribute_previous_actuals

    if args.previous and (args.start or args.end):
        raise UsageError(
            "--previous explains one state's change from the previous period: give --scenario "
            "NAME or --actuals FILE, not --from/--to"
        )
    if args.scenario is not None and not args.previous:
        raise UsageError("--scenario goes with --previous (use --from/--to to compare scenarios)")
    if args.scenario is not None and has_actuals(args):
        raise UsageError("give either --actuals or --scenario, not both (--plan sets the plan)")
    if has_actuals(args) and (args.start or args.end):
        raise UsageError("give either --actuals or --from/--to, not both")
    if not has_actuals(args) and not (args.start or args.end or args.previous):
        raise UsageError(
            "give --actuals FILE, or --from SCENARIO and/or --to SCENARIO, or --previous"
        )
    if args.plan is not None and not has_actuals(args):
        raise UsageError("--plan goes with --actuals (use --from for a base scenario)")
    figure_format(args.plot)
    tree = load_tree(args)
    actuals = read_actuals_source(args, tree)
    if args.previous and actuals is not None:
        result = attribute_previous_actuals(
            tree, actuals, plan=args.plan, period=args.period, node=args.node
        )
    elif args.previous:
        result = attribute_previous(
            tree, scenario=args.scenario, period=args.period, node=args.node
        )
    elif actuals is not None:
        result = attribute_actuals(
            tree, actuals, plan=args.plan, period=args.period, node=args.node
        )
    else:
        result = attribute_scenarios(tree, args.start, args.end, period=args.period, node=args.node)
    if args.plot is not None:
        write_figure(result.plot().figure, args.plot)
    emit(args, result)
    return 0
