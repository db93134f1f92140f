"""Plots: each ``plot_x(result, ax=None) -> Axes`` draws a result; plots never compute."""
