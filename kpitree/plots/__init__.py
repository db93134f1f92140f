"""Plots of analysis results: ``plot_x(result, ax=None) -> Axes``. A plot never computes."""
