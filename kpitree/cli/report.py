"""``kpitree report TREE [--actuals FILE] -o report.html``: one self-contained HTML page about
the tree."""

from __future__ import annotations

import argparse
from pathlib import Path

from kpitree.cli.actuals_source import add_actuals_source, read_actuals_source
from kpitree.cli.options import (
    UsageError,
    add_tree,
    add_values,
    check_output,
    load_tree,
    parse_overrides,
    parse_whole,
    write_output,
)
from kpitree.timeaxis import BUCKETS

# The report's defaults, repeated here so that `kpitree report --help` does not import the
# report (matplotlib); a test checks that they equal kpitree.report.context's.
SAMPLES = 2000
SEED = 1


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "report",
        help="write a one-file HTML report",
        description="Write one HTML file (style and images inside it, opens without network "
        "access): the KGI against its target, the tree diagram coloured by status, the alerts "
        "that fire, the main KPIs period by period, sensitivity and tornado, the bottleneck "
        "ranking, the targets cascade (when the KGI has a target) and the Monte Carlo forecast "
        "(when an input has a distribution); with --actuals also plan vs actual and the "
        "attribution of the gap.",
    )
    add_tree(parser)
    add_values(parser)
    add_actuals_source(
        parser,
        ": adds plan vs actual and the attribution of the KGI's gap; the plan is the tree's "
        "values or --scenario",
    )
    parser.add_argument(
        "--samples", metavar="N", default=str(SAMPLES),
        help=f"forecast paths (default: {SAMPLES:_}, quick; more gives smoother bands)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", metavar="S", default=str(SEED),
        help=f"seed of the forecast (default: {SEED}, fixed, so the same tree and options give "
        "the same report)",
    )  # fmt: skip
    parser.add_argument(
        "--by",
        choices=BUCKETS,
        help="show every node per quarter or (fiscal) year instead of the main KPIs per period",
    )
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="the .html file")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print no notes on standard error"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the report and write it whole."""
    from kpitree.report import build_report  # matplotlib only when reporting

    if Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"-o {args.output}: expected an .html file")
    check_output(args.output, "-o")
    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    tree = load_tree(args)
    actuals = read_actuals_source(args, tree)
    html = build_report(
        tree,
        overrides=parse_overrides(args.overrides),
        scenario=args.scenario,
        actuals=actuals,
        samples=samples,  # type: ignore[arg-type]
        seed=seed,  # type: ignore[arg-type]
        by=args.by,
    )
    write_output(args.output, html)
    return 0
