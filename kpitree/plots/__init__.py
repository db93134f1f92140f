"""Matplotlib plots: ``plot_x(result, ax=None) -> Axes``; they draw, never compute."""
