"""The report rendered by headless Chromium: the page draws, and no image is broken.

Skipped when the ``chromium`` binary is absent (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import TREES
from matplotlib.image import imread

import kpitree
from kpitree.report import build_report

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian package 'chromium')"
)

# Records, once everything has loaded, whether each image decoded: complete with a width.
PROBE = (
    '<script>window.addEventListener("load", function () {'
    ' document.querySelectorAll("img").forEach(function (img) {'
    ' img.setAttribute("data-loaded", String(img.complete && img.naturalWidth > 0)); }); });'
    "</script>"
)


def _chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", *arguments,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    """The saas_arr report with actuals (every section, four images) written to a file."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    tree = kpitree.load(TREES / "saas_arr.yaml")
    actuals = kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree)
    path.write_text(build_report(tree, actuals=actuals, samples=300), encoding="utf-8")
    return path


def _images_loaded(path: Path, profile: Path) -> list[str]:
    probe = path.with_name("probe-" + path.name)
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    dom = _chromium(profile, "--dump-dom", probe.as_uri()).stdout
    return re.findall(r'data-loaded="(\w+)"', dom)


def test_screenshot_is_not_blank(report_file, tmp_path) -> None:
    """Chromium draws the page: the screenshot has text, coloured status boxes and the
    diagram, not one flat colour."""
    shot = tmp_path / "shot.png"
    _chromium(
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        report_file.as_uri(),
    )
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (3000, 1200)
    ink = (pixels.min(axis=2) < 0.5).mean()  # dark pixels: text and lines
    assert ink > 0.01
    # the off-track red of the alert's cells and box is on the page (fill #f9d0d0)
    red = np.all(np.abs(pixels - np.array([0xF9, 0xD0, 0xD0]) / 255) < 0.02, axis=2)
    assert red.sum() > 500


def test_every_image_loads(report_file, tmp_path) -> None:
    """Every <img> of the report decodes in the browser (complete, with a natural width)."""
    loaded = _images_loaded(report_file, tmp_path / "profile")
    assert loaded == ["true"] * 4


def test_a_broken_image_is_detected(report_file, tmp_path) -> None:
    """The check fails on a corrupted data URI, so it can catch a broken image."""
    broken = tmp_path / "broken.html"
    broken.write_text(report_file.read_text().replace("base64,iVBOR", "base64,XXXX", 1))
    assert _images_loaded(broken, tmp_path / "profile") == ["false", "true", "true", "true"]
