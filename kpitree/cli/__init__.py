"""The ``kpitree`` command: one sub-command per analysis, each a thin module."""
