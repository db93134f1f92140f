"""Reading tree files: YAML with line numbers, then the format's keys and types."""

from kpitree.spec.schema import load, loads

__all__ = ["load", "loads"]
