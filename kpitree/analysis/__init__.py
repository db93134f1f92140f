"""Analyses of a tree: each a function ``analysis(tree, ..., seed=None) -> Result``.

Every analysis evaluates through :mod:`kpitree.analysis.batch`, which runs many input sets as
the samples of one vectorised engine call.
"""
