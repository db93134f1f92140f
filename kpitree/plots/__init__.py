"""Matplotlib charts of analysis results: each ``plot_x(result, ax=None) -> Axes``, no computing."""
