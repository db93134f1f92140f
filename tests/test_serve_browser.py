"""End to end: the dashboard in headless Chromium (Debian's) against a real ``kpitree serve``.

The numbers the page shows are checked against the command line run in-process (``kpitree eval
--set``, ``solve``, ``forecast``, ``compare``): the page and the CLI must say the same thing.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[test]')"
)
pytest.importorskip("kpitree.serve.app", reason="the dashboard's server is not in this build")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no 'chromium' on PATH (Debian: apt-get install chromium)"
)

ROOT = Path(__file__).resolve().parent.parent
TREES = ROOT / "trees"
START_TIMEOUT = 30.0
WAIT_MS = 15_000
# Chromium logs every non-2xx fetch as a console error; a test that provokes one says which.
RESOURCE_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class Server:
    """A running ``kpitree serve`` and the files it serves."""

    process: subprocess.Popen[str]
    url: str
    tree: Path
    actuals: Path


def _start(folder: Path, *extra: str, text: str | None = None) -> Server:
    """Serve the bundled SaaS tree and its actuals (or the tree ``text``) from ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tree = folder / "saas_arr.yaml"
    actuals = folder / "saas_arr_actuals.csv"
    if text is None:
        shutil.copy(TREES / "saas_arr.yaml", tree)
        shutil.copy(TREES / "saas_arr_actuals.csv", actuals)
        command = [sys.executable, "-m", "kpitree", "serve", str(tree), "--actuals", str(actuals)]
    else:
        tree.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "kpitree", "serve", str(tree)]
    command += ["--port", "0", "--no-open", *extra]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    if stdout is None:  # cannot happen with stdout=PIPE; keeps the type checker informed
        raise RuntimeError("kpitree serve has no stdout")
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        _stop(process)
        raise RuntimeError("kpitree serve printed no URL") from None
    found = re.search(r"http://\S+", line)
    if not found:
        _stop(process)
        raise RuntimeError(f"kpitree serve printed {line!r}, not its URL")
    return Server(process, found.group(0), tree, actuals)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the read-only tests (they never write the tree file)."""
    running = _start(tmp_path_factory.mktemp("served"))
    yield running
    _stop(running.process)


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own for a test that writes the tree file."""
    running = _start(tmp_path / "served")
    yield running
    _stop(running.process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (starting one costs about a second)."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page and everything it said: console messages, page errors, dialogs."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    allowed: set[int] = field(default_factory=set)

    def unexpected(self) -> list[str]:
        """Console messages and errors, less the failed requests the test provoked."""
        found = []
        for kind, text in self.console:
            match = RESOURCE_ERROR.search(text)
            if match and int(match.group(1)) in self.allowed:
                continue
            found.append(f"console {kind}: {text}")
        return found + [f"page error: {e}" for e in self.errors] + self.dialogs


@pytest.fixture
def watched(browser: Any) -> Iterator[Callable[[str], Watched]]:
    """Open pages that record what they log; the test fails if any logged anything."""
    opened: list[Watched] = []

    def open_page(url: str) -> Watched:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        record = Watched(page)
        page.on("console", lambda message: record.console.append((message.type, message.text)))
        page.on("pageerror", lambda error: record.errors.append(str(error)))

        def on_dialog(dialog: Any) -> None:
            record.dialogs.append(f"dialog: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=WAIT_MS)
        opened.append(record)
        return record

    yield open_page
    problems = [problem for record in opened for problem in record.unexpected()]
    for record in opened:
        record.page.context.close()
    assert not problems, problems


def _cli_json(cli: Callable[..., tuple[int, str, str]], *argv: str | Path) -> dict[str, Any]:
    status, out, err = cli(*argv, "--format", "json")
    assert status in (0, 1), err
    return json.loads(out)


def _kgi_value(page: Any) -> float:
    return float(page.get_attribute("#kgi-value", "data-value"))


def _wait_kgi_change(page: Any, before: float) -> float:
    page.wait_for_function(
        "before => Number(document.getElementById('kgi-value').dataset.value) !== before",
        arg=before,
        timeout=WAIT_MS,
    )
    return _kgi_value(page)


def _format(value: float) -> str:
    from kpitree.present.numbers import format_number

    return format_number(value)


def test_page_shows_the_tree_and_its_kgi(server, watched, cli):
    """The page loads with every node in the diagram and the KGI as `kpitree eval` prints it."""
    record = watched(server.url)
    page = record.page
    expected = _cli_json(cli, "eval", server.tree)
    arr = expected["values"]["arr"][-1]
    assert _kgi_value(page) == pytest.approx(arr, rel=1e-12)
    assert page.text_content("#kgi-value") == _format(arr)
    assert page.text_content("#kgi-status") == "off track"
    assert page.locator("#milestones .chip").count() == 1
    boxes = page.eval_on_selector_all("svg.diagram .box", "els => els.map(e => e.dataset.node)")
    assert sorted(boxes) == sorted(expected["values"])
    assert page.locator("svg.diagram .edge.lag").count() > 0  # prev() and delay() reads


def test_field_edit_matches_cli_eval_set(server, watched, cli):
    """Typing a value and Enter shows the KGI `kpitree eval --set` gives for that value."""
    page = watched(server.url).page
    before = _kgi_value(page)
    page.fill("#field-sql_rate", "0.13")
    page.press("#field-sql_rate", "Enter")
    shown = _wait_kgi_change(page, before)
    expected = _cli_json(cli, "eval", server.tree, "--set", "sql_rate=0.13")["values"]["arr"][-1]
    assert shown == pytest.approx(expected, rel=1e-12)
    assert page.text_content("#kgi-value") == _format(expected)
    # The slider follows the field.
    assert float(page.input_value("#slider-sql_rate")) == pytest.approx(0.13, abs=1e-3)


def test_percent_text_is_read_like_set(server, watched, cli):
    """'13%' typed in a field is read as 0.13, as `--set sql_rate=13%` reads it."""
    page = watched(server.url).page
    before = _kgi_value(page)
    page.fill("#field-sql_rate", "13%")
    page.press("#field-sql_rate", "Enter")
    shown = _wait_kgi_change(page, before)
    expected = _cli_json(cli, "eval", server.tree, "--set", "sql_rate=13%")["values"]["arr"][-1]
    assert shown == pytest.approx(expected, rel=1e-12)


def test_slider_edit_matches_cli_eval_set(server, watched, cli):
    """Moving a slider re-evaluates at the slider's value, as `kpitree eval --set` does."""
    page = watched(server.url).page
    before = _kgi_value(page)
    page.fill("#slider-win_rate", "0.3")
    shown = _wait_kgi_change(page, before)
    value = page.input_value("#slider-win_rate")
    assert page.input_value("#field-win_rate") == str(float(value)).removesuffix(".0")
    expected = _cli_json(cli, "eval", server.tree, "--set", f"win_rate={value}")
    assert shown == pytest.approx(expected["values"]["arr"][-1], rel=1e-12)


def test_stale_answers_are_dropped(server, watched, cli):
    """Many quick edits end with the KGI of the last one, whatever order the answers come in."""
    page = watched(server.url).page
    for value in ("0.11", "0.12", "0.13", "0.14", "0.15"):
        page.fill("#field-sql_rate", value)
        page.press("#field-sql_rate", "Enter")
    expected = _cli_json(cli, "eval", server.tree, "--set", "sql_rate=0.15")["values"]["arr"][-1]
    page.wait_for_function(
        "v => Math.abs(Number(document.getElementById('kgi-value').dataset.value) - v) < 1",
        arg=expected,
        timeout=WAIT_MS,
    )
    page.wait_for_timeout(300)  # any late answer would land now
    assert _kgi_value(page) == pytest.approx(expected, rel=1e-12)


def test_invalid_text_shows_the_server_message_beside_the_field(server, watched, cli):
    """A value outside the bounds shows the same message as `--set` next to the field."""
    record = watched(server.url)
    record.allowed.add(400)
    page = record.page
    before = _kgi_value(page)
    page.fill("#field-win_rate", "1.4")
    page.press("#field-win_rate", "Enter")
    page.wait_for_function(
        "() => document.getElementById('error-win_rate').textContent !== ''", timeout=WAIT_MS
    )
    status, _, err = cli("eval", server.tree, "--set", "win_rate=1.4")
    assert status == 2
    message = page.text_content("#error-win_rate")
    assert message in err
    assert "win_rate" in message
    assert "bounds" in message
    assert "invalid" in (page.get_attribute("#field-win_rate", "class") or "")
    assert _kgi_value(page) == before  # nothing applied
    assert not record.dialogs
    # The next valid edit still works and clears the message.
    page.fill("#field-win_rate", "0.27")
    page.press("#field-win_rate", "Enter")
    _wait_kgi_change(page, before)
    assert page.text_content("#error-win_rate") == ""


def test_text_that_is_not_a_number_names_the_input_not_the_flag(server, watched, cli):
    """Typing 'abc' shows "sql_rate: 'abc' is not a number" beside the field, the command
    line's message without its ``--set`` flag."""
    record = watched(server.url)
    record.allowed.add(400)
    page = record.page
    page.fill("#field-sql_rate", "abc")
    page.press("#field-sql_rate", "Enter")
    page.wait_for_function(
        "() => document.getElementById('error-sql_rate').textContent !== ''", timeout=WAIT_MS
    )
    status, _, err = cli("eval", server.tree, "--set", "sql_rate=abc")
    assert status == 2
    message = page.text_content("#error-sql_rate")
    assert message == "sql_rate: 'abc' is not a number"
    assert err == f"kpitree: --set {message}\n"


def test_reset_and_scenario_picker(server, watched, cli):
    """A scenario from the tree shows its KGI; Reset brings back the base plan's."""
    page = watched(server.url).page
    base = _kgi_value(page)
    page.select_option("#scenario", "optimistic")
    shown = _wait_kgi_change(page, base)
    expected = _cli_json(cli, "eval", server.tree, "--scenario", "optimistic")
    assert shown == pytest.approx(expected["values"]["arr"][-1], rel=1e-12)
    assert page.input_value("#field-sql_rate") == "0.15"
    page.click("#reset")
    assert _wait_kgi_change(page, shown) == pytest.approx(base, rel=1e-12)
    assert page.input_value("#field-sql_rate") == "0.1"


def test_goal_seek_matches_cli_solve(server, watched, cli):
    """Goal seek from the page gives `kpitree solve`'s lever values; apply reaches the target."""
    page = watched(server.url).page
    page.check("#levers input[value=sql_rate]")
    page.check("#levers input[value=win_rate]")
    page.select_option("#solve-mode", "balanced")
    page.click("#solve")
    page.wait_for_selector("#solve-cascade", timeout=WAIT_MS)
    expected = _cli_json(
        cli, "solve", server.tree, "--lever", "sql_rate", "--lever", "win_rate",
        "--mode", "balanced",
    )  # fmt: skip
    rows = page.eval_on_selector_all(
        "#solve-levers tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    from kpitree.present.numbers import format_number

    shown = {row[0]: row[2] for row in rows}
    assert shown == {
        "Opportunity rate (MQL -> SQL)": format_number(expected["levers"]["sql_rate"]),
        "Win rate (opportunity -> won)": format_number(expected["levers"]["win_rate"]),
    }
    groups = page.eval_on_selector_all(
        "#solve-cascade td.group", "cells => cells.map(c => c.textContent)"
    )
    assert set(groups) >= {"inside sales", "field sales", "marketing"}
    before = _kgi_value(page)
    page.click("#solve-apply")
    reached = _wait_kgi_change(page, before)
    assert reached == pytest.approx(expected["kgi_reached"], rel=1e-9)
    assert reached == pytest.approx(1.4e9, rel=1e-6)


def test_weighted_goal_seek_takes_the_weights_typed(server, watched, cli):
    """In the weighted mode each lever shows a weight field; the levers reached are
    `kpitree solve --mode weighted --weight`'s for the weights typed."""
    page = watched(server.url).page
    assert not page.is_visible("input.lever-weight[data-lever=win_rate]")
    page.check("#levers input[value=sql_rate]")
    page.check("#levers input[value=win_rate]")
    page.select_option("#solve-mode", "weighted")
    page.fill("input.lever-weight[data-lever=win_rate]", "3")
    page.click("#solve")
    page.wait_for_selector("#solve-cascade", timeout=WAIT_MS)
    expected = _cli_json(
        cli, "solve", server.tree, "--lever", "sql_rate", "--lever", "win_rate",
        "--mode", "weighted", "--weight", "sql_rate=1", "--weight", "win_rate=3",
    )  # fmt: skip
    assert expected["changes"]["win_rate"] == pytest.approx(3 * expected["changes"]["sql_rate"])
    rows = page.eval_on_selector_all(
        "#solve-levers tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    from kpitree.present.numbers import format_number

    assert {row[0]: row[2] for row in rows} == {
        "Opportunity rate (MQL -> SQL)": format_number(expected["levers"]["sql_rate"]),
        "Win rate (opportunity -> won)": format_number(expected["levers"]["win_rate"]),
    }


def test_department_view_shows_only_that_owner(server, watched):
    """?owner= shows that owner's inputs only, dims the other owners' boxes and keeps the URL."""
    page = watched(server.url + "?owner=inside%20sales").page
    visible = page.eval_on_selector_all(
        "#inputs .input", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.node)"
    )
    assert sorted(visible) == ["outbound_leads", "sql_rate"]
    assert page.input_value("#owner") == "inside sales"
    dimmed = page.eval_on_selector_all(
        "svg.diagram .box.dimmed", "els => els.map(e => e.dataset.owner)"
    )
    undimmed = page.eval_on_selector_all(
        "svg.diagram .box:not(.dimmed)", "els => els.map(e => e.dataset.owner)"
    )
    assert dimmed
    assert "inside sales" not in dimmed
    assert set(undimmed) == {"inside sales"}
    page.select_option("#owner", "")
    assert "owner=" not in page.url
    assert page.locator("#inputs .input:not([hidden])").count() == 13


def test_department_view_filters_the_cascade(server, watched):
    """In a department view the cascade lists that department's rows only."""
    page = watched(server.url + "?owner=marketing").page
    page.check("#levers input[value=sql_rate]")
    page.click("#solve")
    page.wait_for_selector("#solve-cascade", timeout=WAIT_MS)
    groups = page.eval_on_selector_all(
        "#solve-cascade td.group", "cells => cells.map(c => c.textContent)"
    )
    assert groups == ["marketing"]


def test_forecast_fan_and_probability_match_cli(server, watched, cli):
    """The forecast tab draws the fan and states P(target) as `kpitree forecast` computes it."""
    page = watched(server.url).page
    page.click("[data-tab=forecast]")
    page.wait_for_selector("#forecast-chart svg .median", timeout=WAIT_MS)
    expected = _cli_json(cli, "forecast", server.tree, "--samples", "2000", "--seed", "0")
    text = page.text_content("#forecast-probability")
    assert text == f"P(ARR ≥ 1.4 bn) = {100 * expected['p_target']:.1f} %"
    assert page.locator("#forecast-chart polygon.band").count() == 2
    assert page.locator("#forecast-chart .target-line").count() == 1


def test_plan_vs_actual_table_and_attribution(server, watched, cli):
    """The comparison and the attribution bars say what `kpitree compare` and `attribute` say."""
    page = watched(server.url).page
    page.click("[data-tab=actuals]")
    page.wait_for_selector("#attribution svg", timeout=WAIT_MS)
    comparison = _cli_json(cli, "compare", server.tree, "--actuals", server.actuals)
    attribution = _cli_json(cli, "attribute", server.tree, "--actuals", server.actuals)
    period = comparison["periods"][-1]
    assert page.input_value("#actuals-period") == period
    arr = next(r for r in comparison["rows"] if r["node"] == "arr" and r["period"] == period)
    row = page.eval_on_selector(
        "#comparison tr.kgi-row", "r => [...r.cells].map(c => c.textContent)"
    )
    assert row[1:4] == [_format(arr["plan"]), _format(arr["actual"]), _format(arr["difference"])]
    nonzero = {k for k, v in attribution["contributions"].items() if v != 0}
    bars = page.eval_on_selector_all("#attribution rect.bar", "els => els.map(e => e.dataset.node)")
    assert set(bars) == nonzero


def test_save_scenario_reads_back_with_cli(fresh_server, watched, cli):
    """A saved scenario lands in the tree file and `kpitree eval --scenario` gives the page's KGI."""
    page = watched(fresh_server.url).page
    before = _kgi_value(page)
    page.fill("#field-sql_rate", "0.14")
    page.press("#field-sql_rate", "Enter")
    shown = _wait_kgi_change(page, before)
    page.fill("#save-name", "room_session")
    page.click("#save")
    page.wait_for_selector("#save-message.ok", timeout=WAIT_MS)
    saved = _cli_json(cli, "eval", fresh_server.tree, "--scenario", "room_session")
    assert saved["values"]["arr"][-1] == pytest.approx(shown, rel=1e-12)
    text = fresh_server.tree.read_text(encoding="utf-8")
    assert text.startswith("# A 12-month ARR plan")  # comments kept
    page.wait_for_function(
        "() => [...document.getElementById('scenario').options].some(o => o.value === "
        "'room_session')",
        timeout=WAIT_MS,
    )


def test_save_conflict_shows_message_and_reload(fresh_server, watched):
    """Saving over a tree changed since it was loaded shows the server's 409 message."""
    record = watched(fresh_server.url)
    record.allowed.add(409)
    page = record.page
    page.evaluate("() => { KT.state.version = 'stale'; }")
    page.fill("#save-name", "late")
    page.click("#save")
    page.wait_for_selector("#save-reload", timeout=WAIT_MS)
    assert "changed since it was loaded" in page.text_content("#save-message")
    page.click("#save-reload")
    page.wait_for_function("() => KT.state.version !== 'stale'", timeout=WAIT_MS)
    assert "late" not in fresh_server.tree.read_text(encoding="utf-8")


def test_page_reloads_when_the_file_changes(fresh_server, watched, cli):
    """An edit of the tree file reaches the open page within a few seconds, edits kept."""
    page = watched(fresh_server.url).page
    before = _kgi_value(page)
    page.fill("#field-sql_rate", "0.12")
    page.press("#field-sql_rate", "Enter")
    _wait_kgi_change(page, before)
    with fresh_server.tree.open("a", encoding="utf-8") as handle:
        handle.write("  added_outside: {win_rate: 0.3}\n")
    page.wait_for_function(
        "() => [...document.getElementById('scenario').options].some(o => o.value === "
        "'added_outside')",
        timeout=WAIT_MS,
    )
    assert page.input_value("#field-sql_rate") == "0.12"
    expected = _cli_json(cli, "eval", fresh_server.tree, "--set", "sql_rate=0.12")
    page.wait_for_function("() => KT.state.shown === KT.state.sequence", timeout=WAIT_MS)
    assert _kgi_value(page) == pytest.approx(expected["values"]["arr"][-1], rel=1e-12)


def _outside_address() -> str | None:
    """An address of this machine other than loopback, if it has one (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_token_required_off_loopback(tmp_path, watched):
    """Off loopback nothing is served without the token; with it in the URL the page works."""
    address = _outside_address()
    extra = ["--host", address] if address else []
    running = _start(tmp_path / "served", *extra, "--token", "s3cret-token")
    try:
        base = running.url.split("?")[0].rstrip("/")
        for path in ("/", "/static/app.js", "/api/tree", "/api/version"):
            assert _status(base + path) == 401, path
        assert _status(base + "/api/tree?token=wrong") == 401
        assert _status(base + "/api/tree?token=s3cret-token") == 200
        # In the browser the query token becomes a cookie that the assets and the API carry.
        page = watched(base + "/?token=s3cret-token").page
        assert page.text_content("#tree-name") == "saas_arr"
    finally:
        _stop(running.process)


JAPANESE_TREE = """\
name: 売上ツリー
kgi: arr
nodes:
  leads: {label: 新規リード数, value: 640, owner: マーケティング, bounds: [0, null]}
  win_rate: {label: 受注率, value: 0.25, bounds: [0, 1], owner: 営業, unit: "%"}
  arpu: {label: 顧客単価, value: 300000, unit: JPY, owner: 営業}
  arr: {label: 年間経常収益, formula: leads * win_rate * arpu * 12, target: 7.0e8, unit: JPY}
"""


def test_japanese_labels_and_a_percent_field(tmp_path, watched, cli):
    """Japanese labels reach the page; a '%' input's field takes percent (30 is 30 %)."""
    running = _start(tmp_path / "served", text=JAPANESE_TREE)
    try:
        page = watched(running.url + "?owner=営業").page
        labels = page.eval_on_selector_all(
            "#inputs .input:not([hidden]) label", "els => els.map(e => e.textContent)"
        )
        assert labels == ["受注率", "顧客単価"]
        assert page.input_value("#field-win_rate") == "25"
        before = _kgi_value(page)
        page.fill("#field-win_rate", "30")
        page.press("#field-win_rate", "Enter")
        shown = _wait_kgi_change(page, before)
        expected = _cli_json(cli, "eval", running.tree, "--set", "win_rate=30%")
        assert shown == pytest.approx(expected["values"]["arr"], rel=1e-12)
        assert page.text_content("svg.diagram .box[data-node=win_rate] .box-value") == "30.0 %"
    finally:
        _stop(running.process)


def test_number_format_matches_the_cli_tables(server, watched):
    """The page formats numbers exactly as the terminal tables do (separators, percent units)."""
    from kpitree.present.numbers import format_number

    page = watched(server.url).page
    cases = [(v, None) for v in (0, 0.025, 0.1, 1.5, 12.345, 999.999, 1000, 1234567.8)]
    cases += [(v, None) for v in (-2160000.4, 0.00012345, -0.5, 2.0, 30.25)]
    cases += [(v, "%") for v in (0.153, 0.00748, 0.0125, 0.05, 1.0, 0.3, 0.12345, 0)]
    shown = page.evaluate("cases => cases.map(([v, u]) => KT.format.number(v, u))", cases)
    assert shown == [format_number(float(v), unit) for v, unit in cases]


def test_download_yaml_gives_the_scenario_snippet(server, watched):
    """Download YAML gives NAME.yaml holding `scenarios: {NAME: {...}}` with the page's values."""
    import yaml

    page = watched(server.url).page
    before = _kgi_value(page)
    page.fill("#field-sql_rate", "0.14")
    page.press("#field-sql_rate", "Enter")
    _wait_kgi_change(page, before)
    page.fill("#save-name", "room_copy")
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "room_copy.yaml"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert yaml.safe_load(text) == {"scenarios": {"room_copy": {"sql_rate": 0.14}}}


def test_a_broken_tree_file_shows_a_banner_until_fixed(fresh_server, watched):
    """While the tree file does not read, the page says why in a banner and keeps its values."""
    page = watched(fresh_server.url).page
    shown = page.text_content("#kgi-value")
    good = fresh_server.tree.read_text(encoding="utf-8")
    fresh_server.tree.write_text(good.replace("formula: mrr * 12", "formula: mrr *"), "utf-8")
    page.wait_for_selector("#banner:not([hidden])", timeout=WAIT_MS)
    assert "saas_arr.yaml" in page.text_content("#banner")
    assert page.text_content("#kgi-value") == shown
    fresh_server.tree.write_text(good, encoding="utf-8")
    page.wait_for_selector("#banner", state="hidden", timeout=WAIT_MS)
