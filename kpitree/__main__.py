"""``python -m kpitree``."""

from kpitree.cli.main import entry

entry()
