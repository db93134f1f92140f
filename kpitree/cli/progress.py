"""A progress bar on standard error for long runs: only on a terminal, only after a delay."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """Callable as ``bar(done, total)``, the progress callback the analyses accept.

    Nothing is written unless ``stream`` is a terminal and the run has lasted ``delay``
    seconds, so short runs, pipes and files stay clean. Use as a context manager: leaving it
    clears the bar's line.
    """

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        delay: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.shown = False
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        elapsed = self.clock() - self.started
        if not self.shown and (elapsed < self.delay or done >= total):
            return
        share = min(1.0, done / total)
        filled = round(share * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {share:4.0%} {elapsed:5.1f} s")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the bar's line if it was shown."""
        if self.shown:
            self.stream.write("\r" + " " * (len(self.label) + WIDTH + 16) + "\r")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
