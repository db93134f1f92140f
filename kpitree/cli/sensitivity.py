"""``kpitree sensitivity TREE``: exact derivative and elasticity of the KGI to every input."""

from __future__ import annotations

import argparse

from kpitree.cli.options import (
    add_format,
    add_period,
    add_tree,
    add_values,
    emit,
    load_tree,
    parse_overrides,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "sensitivity",
        help="derivative and elasticity of the KGI to every input",
        description="The exact derivative dKGI/dinput and the elasticity (%% change of the KGI "
        "per 1 %% change of the input) for every input, largest |elasticity| first. An input "
        "given per period moves as a whole (every period shifted or scaled together). Inputs "
        "the KGI does not depend on are listed last.",
    )
    add_tree(parser)
    add_period(parser)
    add_values(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute and print."""
    from kpitree.analysis.sensitivity import sensitivity

    tree = load_tree(args)
    result = sensitivity(
        tree,
        period=args.period,
        overrides=parse_overrides(args.overrides),
        scenario=args.scenario,
    )
    emit(args, result)
    return 0
