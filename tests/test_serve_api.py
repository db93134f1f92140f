"""The dashboard's JSON API over a real socket: the numbers equal the library's and the command
line's ``--format json``, bad values get the ``--set`` messages (naming the input, not the
flag), and the server refuses what it must (path traversal, oversize bodies, unknown routes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serve_client import TREES, request, running

import kpitree
from kpitree.present.export import to_json

SAAS = TREES / "saas_arr.yaml"


@pytest.fixture(scope="module")
def server():
    """One server on saas_arr for the module (loading and compiling once)."""
    with running(SAAS) as found:
        yield found


@pytest.fixture(scope="module")
def tree() -> kpitree.Tree:
    """saas_arr read by the library, independently of the server."""
    return kpitree.load(SAAS)


def plain(result) -> dict:
    """A result as the command line's JSON reads back."""
    return json.loads(to_json(result.to_dict()))


def test_tree_describes_nodes_edges_and_layout(server, tree) -> None:
    """/api/tree lists every node with its rules, every edge with its lag, a layout box for
    every node, the owners, and the inputs that move the KGI as levers."""
    status, data, _ = request(server, "/api/tree")
    assert status == 200
    assert data["kgi"] == tree.kgi
    assert data["periods"] == list(tree.periods)
    assert [node["name"] for node in data["nodes"]] == list(tree.nodes)
    win = next(node for node in data["nodes"] if node["name"] == "win_rate")
    assert win["kind"] == "input"
    assert win["bounds"] == [0, 1]
    assert win["benchmark"] == [0.2, 0.3]
    assert win["value"] == [0.25] * 12
    assert win["step"] == pytest.approx(0.01)
    assert win["owner"] == "field sales"
    arr = next(node for node in data["nodes"] if node["name"] == "arr")
    assert arr["kind"] == "derived"
    assert arr["value"] is None
    assert arr["formula"] == tree.nodes["arr"].formula
    edges = {(e["source"], e["target"], e["lag"]) for e in data["edges"]}
    assert edges == {(u, v, lag) for u, v, lag in tree.graph.edges(data="lag")}
    assert set(data["layout"]["boxes"]) == set(tree.nodes)
    assert data["owners"] == sorted({n.owner for n in tree.nodes.values() if n.owner})
    assert data["levers"] == tree.inputs_of(tree.kgi)
    assert data["modes"] == ["uniform", "weighted", "min-effort", "balanced"]
    assert data["has_actuals"] is False


def test_evaluate_equals_library_and_cli(server, tree, cli) -> None:
    """An evaluation with an override is the library's evaluation and exactly what
    ``kpitree eval --set --format json`` prints."""
    status, data, _ = request(server, "/api/evaluate", {"overrides": {"win_rate": "27%"}})
    assert status == 200
    assert data["evaluation"] == plain(tree.evaluate(overrides={"win_rate": 0.27}))
    code, out, _ = cli("eval", SAAS, "--set", "win_rate=27%", "--format", "json")
    assert code == 0
    assert data["evaluation"] == json.loads(out)


def test_evaluate_reads_numbers_lists_and_scenarios(server, tree) -> None:
    """JSON numbers, per-period lists and a scenario give the library's values."""
    leads = [100 + period for period in range(12)]
    body = {"overrides": {"win_rate": 0.3, "ad_budget": "2_000_000"}}
    _, data, _ = request(server, "/api/evaluate", body)
    expected = tree.evaluate(overrides={"win_rate": 0.3, "ad_budget": 2e6})
    assert data["kgi"]["value"] == pytest.approx(expected.kgi_value, rel=1e-12)
    _, data, _ = request(server, "/api/evaluate", {"overrides": {"visits": leads}})
    assert data["evaluation"] == plain(tree.evaluate(overrides={"visits": leads}))
    scenario = next(iter(tree.scenarios))
    _, data, _ = request(server, "/api/evaluate", {"scenario": scenario})
    assert data["evaluation"] == plain(tree.evaluate(scenario=scenario))


def test_evaluate_reports_kgi_target_and_status(server, tree) -> None:
    """The KGI block gives its last value, the target 1.4e9 and the status module's verdict,
    and every node's status is the status module's."""
    from kpitree.analysis.status import Status, statuses

    _, data, _ = request(server, "/api/evaluate", {})
    evaluation = tree.evaluate()
    kgi = data["kgi"]
    assert kgi["name"] == "arr"
    assert kgi["value"] == evaluation.kgi_value
    assert kgi["target"] == 1.4e9
    expected = statuses(evaluation)
    assert kgi["status"] == expected["arr"].value
    assert data["status"] == {
        name: None if status is Status.NONE else status.value for name, status in expected.items()
    }
    assert kgi["milestones"] == [
        {
            "period": "2027-12",
            "label": None,
            "target": 1.4e9,
            "value": evaluation.kgi_value,
            "status": expected["arr"].value,
        }
    ]
    assert data["version"] == request(server, "/api/version")[1]["version"]


def test_milestones_by_quarter(write_tree, tmp_path) -> None:
    """A KGI with quarterly targets on a monthly tree gets one milestone per quarter, judged on
    the quarter's last month for a stock, with its own status."""
    path = write_tree(
        """
        name: quarters
        kgi: customers
        time: {periods: 6, unit: month, start: 2027-01}
        nodes:
          new: {value: 10, unit: customers/month}
          customers:
            formula: prev(customers) + new
            initial: 100
            unit: customers
            target: {2027-Q1: 130, 2027-Q2: 200}
        """
    )
    with running(path) as server:
        _, data, _ = request(server, "/api/evaluate", {})
    milestones = data["kgi"]["milestones"]
    # 100 + 10 a month: 130 at March (on track), 160 at June against 200 (off track).
    assert [(m["period"], m["label"], m["value"], m["status"]) for m in milestones] == [
        ("2027-03", "2027-Q1", 130.0, "on track"),
        ("2027-06", "2027-Q2", 160.0, "off track"),
    ]
    assert data["kgi"]["target"] == 200


@pytest.mark.parametrize(
    ("name", "value", "typed"),
    [
        ("win_rate", 1.4, "1.4"),
        ("win_rate", "lots", "lots"),
        ("win_rate", "__import__('os')", "__import__('os')"),
        ("__import__('os')", 1, "1"),
        ("no_such_node", 1, "1"),
        ("arr", 1, "1"),
        ("win_rate", "1e999", "1e999"),
        ("visits", [1, 2], "[1, 2]"),
    ],
)
def test_bad_values_get_the_set_message(server, cli, name, value, typed) -> None:
    """A value --set refuses is refused with 400 and the command line's message, naming the
    input where the command line names its ``--set`` flag."""
    status, data, _ = request(server, "/api/evaluate", {"overrides": {name: value}})
    code, _, err = cli("eval", SAAS, "--set", f"{name}={typed}")
    assert (status, code) == (400, 2)
    assert "Traceback" not in data["error"]
    assert "--set" not in data["error"]
    assert f"kpitree: {data['error']}\n" == err.replace("kpitree: --set ", "kpitree: ", 1)


def test_page_message_names_the_input_not_the_flag(server, cli) -> None:
    """Text that is not a number is refused as ``sql_rate: 'abc' is not a number`` on the
    page while the command line still says ``--set sql_rate: ...``."""
    status, data, _ = request(server, "/api/evaluate", {"overrides": {"sql_rate": "abc"}})
    code, _, err = cli("eval", SAAS, "--set", "sql_rate=abc")
    assert (status, code) == (400, 2)
    assert data["error"] == "sql_rate: 'abc' is not a number"
    assert err == "kpitree: --set sql_rate: 'abc' is not a number\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "win_rate: expected a number, found true"),
        (None, "win_rate: expected a number, found null"),
        ({"a": 1}, "win_rate: expected a number, found an object"),
        (10**400, "win_rate: expected a finite number"),
    ],
)
def test_values_json_has_but_set_has_not(server, value, message) -> None:
    """JSON values with no --set spelling (booleans, null, objects, huge integers) are 400."""
    status, data, _ = request(server, "/api/evaluate", {"overrides": {"win_rate": value}})
    assert status == 400
    assert data["error"].startswith(message)


def test_solve_equals_cli(server, cli) -> None:
    """Goal seek from the page is ``kpitree solve --format json``, and the cascade its rows."""
    body = {"target": "1.45e9", "levers": ["win_rate", "visit_cvr"], "mode": "balanced"}
    status, data, _ = request(server, "/api/solve", body)
    code, out, _ = cli(
        "solve", SAAS, "--lever", "win_rate", "--lever", "visit_cvr", "--mode", "balanced",
        "--target", "1.45e9", "--format", "json",
    )  # fmt: skip
    assert (status, code) == (200, 0)
    assert data["solution"] == json.loads(out)
    rows = {row["node"]: row for row in data["cascade"]}
    assert rows["arr"]["target"] == pytest.approx(1.45e9, rel=1e-9)
    assert rows["win_rate"]["owner"] == "field sales"
    assert rows["win_rate"]["lever"] is True


def test_weighted_solve_equals_cli(server, cli) -> None:
    """A weighted goal seek from the page is ``kpitree solve --mode weighted --weight``, and a
    weight that is not a number names the weight (the page has no ``--weight`` flag)."""
    body = {"target": 1.45e9, "levers": ["win_rate", "visit_cvr"], "mode": "weighted",
            "weights": {"win_rate": 2, "visit_cvr": "1"}}  # fmt: skip
    status, data, _ = request(server, "/api/solve", body)
    code, out, _ = cli(
        "solve", SAAS, "--lever", "win_rate", "--lever", "visit_cvr", "--mode", "weighted",
        "--weight", "win_rate=2", "--weight", "visit_cvr=1", "--target", "1.45e9",
        "--format", "json",
    )  # fmt: skip
    assert (status, code) == (200, 0)
    assert data["solution"] == json.loads(out)
    changes = data["solution"]["changes"]
    assert changes["win_rate"] == pytest.approx(2 * changes["visit_cvr"], rel=1e-6)
    status, data, _ = request(server, "/api/solve", {**body, "weights": {"win_rate": "two"}})
    assert status == 400
    assert data["error"] == "weight of win_rate: 'two' is not a number"


def test_infeasible_solve_is_200(server, cli) -> None:
    """A target out of the levers' reach is answered 200 with the solution saying so."""
    body = {"target": 1e13, "levers": ["win_rate"], "overrides": {"visits": 1000}}
    status, data, _ = request(server, "/api/solve", body)
    code, out, _ = cli(
        "solve", SAAS, "--lever", "win_rate", "--target", "1e13", "--set", "visits=1000",
        "--format", "json",
    )  # fmt: skip
    assert (status, code) == (200, 1)
    assert data["solution"]["feasible"] is False
    assert data["solution"] == json.loads(out)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"levers": "win_rate"}, "levers: expected a list of input names"),
        ({"levers": ["arr"]}, "lever 'arr' is derived"),
        ({"levers": ["win_rate"], "mode": "fast"}, "mode: expected one of uniform"),
        ({"levers": ["win_rate"], "target": "big"}, "target: 'big' is not a number"),
    ],
)
def test_bad_solve_requests(server, body, message) -> None:
    """A solve request the command line would refuse is 400 with its message."""
    status, data, _ = request(server, "/api/solve", body)
    assert status == 400
    assert data["error"].startswith(message)


def test_forecast_equals_library_and_cli(server, tree, cli) -> None:
    """A seeded forecast is the library's for the same samples, seed and values, and the
    command line's; the fan is its 5/25/50/75/95 % quantiles."""
    body = {"overrides": {"win_rate": 0.28}, "samples": 1500, "seed": 7}
    status, data, _ = request(server, "/api/forecast", body)
    assert status == 200
    expected = plain(tree.forecast(1500, 7, overrides={"win_rate": 0.28}))
    assert data["forecast"] == expected
    code, out, _ = cli(
        "forecast", SAAS, "--samples", "1500", "--seed", "7", "--set", "win_rate=0.28",
        "--format", "json", "-q",
    )  # fmt: skip
    assert code == 0
    assert data["forecast"] == json.loads(out)
    fan = data["fan"]
    assert fan["periods"] == expected["periods"]
    assert fan["p05"] == expected["quantiles"]["p5"]
    assert fan["p95"] == expected["quantiles"]["p95"]
    assert data["p_target"] == expected["p_target"]
    assert data["target"] == 1.4e9


def test_forecast_defaults_and_cap(server) -> None:
    """Without samples and seed the forecast draws 2000 paths with seed 0; more than 50,000
    paths are cut to 50,000 (checked without running them: 0 paths is refused)."""
    _, data, _ = request(server, "/api/forecast", {})
    assert (data["forecast"]["samples"], data["forecast"]["seed"]) == (2000, 0)
    status, data, _ = request(server, "/api/forecast", {"samples": 0})
    assert status == 400
    status, data, _ = request(server, "/api/forecast", {"samples": -3})
    assert (status, data["error"]) == (400, "samples: expected a whole number >= 0, found '-3'")


def test_forecast_samples_are_capped(monkeypatch) -> None:
    """A request for a million paths runs MAX_SAMPLES of them."""
    from kpitree.serve import api
    from kpitree.serve.session import load_state

    monkeypatch.setattr(api, "MAX_SAMPLES", 300)
    data = api.forecast(load_state(SAAS, None), {"samples": 1_000_000, "seed": 1})
    assert data["forecast"]["samples"] == 300


def test_actuals_equal_compare_and_attribute(cli) -> None:
    """With --actuals, /api/actuals is ``kpitree compare`` and ``kpitree attribute`` JSON."""
    from kpitree.actuals import read_actuals

    path = TREES / "saas_arr_actuals.csv"
    with running(SAAS, read_actuals=lambda tree: read_actuals(path, tree)) as server:
        status, data, _ = request(server, "/api/actuals")
        _, info, _ = request(server, "/api/tree")
    assert status == 200
    assert data["available"] is True
    assert data["partial"] is None
    assert info["has_actuals"] is True
    code, out, _ = cli("compare", SAAS, "--actuals", path, "--format", "json")
    assert code == 0
    assert data["comparison"] == json.loads(out)
    code, out, _ = cli("attribute", SAAS, "--actuals", path, "--format", "json")
    assert code == 0
    assert data["attribution"] == json.loads(out)


def test_no_actuals(server) -> None:
    """Without actuals /api/actuals says none are available."""
    assert request(server, "/api/actuals")[:2] == (200, {"available": False})


@pytest.fixture
def static(tmp_path: Path) -> Path:
    """A static folder with a page, a script, and a secret next to it."""
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "index.html").write_text("<!doctype html><title>t</title>", encoding="utf-8")
    (folder / "app.js").write_text("console.log(1);", encoding="utf-8")
    (folder / "app.css").write_text("body {}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    return folder


def test_static_files_and_types(static) -> None:
    """/ is the page, /static/NAME its assets, each with its content type."""
    with running(SAAS, static=static) as server:
        status, body, headers = request(server, "/")
        assert (status, body) == (200, b"<!doctype html><title>t</title>")
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        status, body, headers = request(server, "/static/app.js")
        assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
        status, body, headers = request(server, "/static/app.css")
        assert (status, headers["Content-Type"]) == (200, "text/css; charset=utf-8")
        assert request(server, "/static/missing.js")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/..%2fsecret.txt",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/..\\secret.txt",
        "/static/../../kpitree/serve/app.py",
    ],
)
def test_path_traversal_refused(static, path) -> None:
    """No path leaves the static folder, written plainly or percent-encoded."""
    with running(SAAS, static=static) as server:
        status, body, _ = request(server, path)
    assert status == 404
    assert body == {"error": "no such file"}


def test_bodies_refused(server) -> None:
    """A body over 1 MB is 413 (1 MB itself is read), one that is not a JSON object 400, NaN
    400."""
    import http.client

    # The size is refused from the header, before any of the body is read (or sent).
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("POST", "/api/evaluate")
        connection.putheader("Content-Length", str(1024 * 1024 + 1))
        connection.endheaders()
        response = connection.getresponse()
        status, data = response.status, json.loads(response.read())
        assert response.getheader("Connection") == "close"
    finally:
        connection.close()
    assert status == 413
    assert data == {"error": "the body is 1,048,577 bytes, more than the 1,048,576 accepted"}
    exact = b'{"pad": "' + b"x" * (1024 * 1024 - 11) + b'"}'
    assert len(exact) == 1024 * 1024
    assert request(server, "/api/evaluate", raw=exact)[0] == 200
    assert request(server, "/api/evaluate", raw=b"{nope")[0] == 400
    assert request(server, "/api/evaluate", raw=b"[1, 2]")[1] == {
        "error": "the body must be a JSON object"
    }
    status, data, _ = request(server, "/api/evaluate", raw=b'{"overrides": {"win_rate": NaN}}')
    assert status == 400
    assert "NaN" in data["error"]
    assert request(server, "/api/evaluate", raw=b"\xff\xfe")[0] == 400


def test_routes_and_methods(server) -> None:
    """An unknown path is 404, a known one with the wrong method 405, both JSON."""
    status, data, _ = request(server, "/api/nope")
    assert status == 404
    assert "error" in data
    assert request(server, "/api/evaluate")[0] == 405
    assert request(server, "/api/tree", {})[0] == 405
    assert request(server, "/", {})[0] == 405


def test_unforeseen_error_is_500_one_line(server, monkeypatch, capfd) -> None:
    """An exception in an analysis is 500 with a one-line message, logged on stderr."""
    from kpitree.serve import api

    def broken(state, body):
        raise RuntimeError("engine on fire")

    monkeypatch.setattr(api, "evaluate", broken)
    status, data, _ = request(server, "/api/evaluate", {})
    # The page is told no internals (paths, messages); the server's log has them.
    assert (status, data) == (
        500, {"error": "internal error: the server logged it; please report it with the request"}
    )  # fmt: skip
    err = capfd.readouterr().err
    assert err == "kpitree serve: POST /api/evaluate: RuntimeError: engine on fire\n"


@pytest.mark.parametrize(
    ("bounds", "benchmark", "values", "step"),
    [
        ((0, 1), None, [0.25], 0.01),
        ((None, None), (0.2, 0.3), [0.25], 0.001),
        ((0, None), None, [1200.0, 800.0], 10.0),
        ((None, None), None, [0.0], 0.01),
        ((0, 50_000), (1, 2), [3.0], 100.0),
    ],
)
def test_slider_step_rule(bounds, benchmark, values, step) -> None:
    """The step is a power of ten near a hundredth of the bounds, else benchmark, else value."""
    from kpitree.serve.api import slider_step

    assert slider_step(bounds, benchmark, values) == pytest.approx(step)


def test_kept_alive_requests_are_not_delayed(server) -> None:
    """Requests on one kept-alive connection are answered without the 40 ms wait of Nagle's
    algorithm against a delayed ACK (50 polls well under 2 s)."""
    import http.client
    import time

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        start = time.perf_counter()
        for _ in range(50):
            connection.request("POST", "/api/evaluate", b"{}", {"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200
            response.read()
        elapsed = time.perf_counter() - start
    finally:
        connection.close()
    assert elapsed < 1.5


def test_solve_for_a_period(server, tree, cli) -> None:
    """A period in the solve request is ``solve --period`` (400 where solve has no period)."""
    import inspect

    body = {"levers": ["win_rate"], "target": 1e9, "period": "2027-06"}
    status, data, _ = request(server, "/api/solve", body)
    if "period" not in inspect.signature(tree.solve).parameters:
        assert (status, data) == (
            400,
            {"error": "period: this kpitree solves for the last period only"},
        )
        return
    code, out, _ = cli(
        "solve", SAAS, "--lever", "win_rate", "--target", "1e9", "--period", "2027-06",
        "--format", "json",
    )  # fmt: skip
    assert status == 200
    assert data["solution"] == json.loads(out)
    assert code in (0, 1)
    assert request(server, "/api/solve", {**body, "period": "2031-01"})[0] == 400


def test_measured_actuals_mark_the_partial_period(cli) -> None:
    """With --measure as of a day inside a month, /api/actuals names that month as partial and
    its comparison is ``kpitree compare --measure --as-of`` JSON."""
    from kpitree.measurement import actuals_from_measure

    path = TREES / "saas_arr_measured.yaml"
    measured = lambda tree: actuals_from_measure(tree, "2027-06-20", "skip")  # noqa: E731
    with running(path, read_actuals=measured) as server:
        status, data, headers = request(server, "/api/actuals")
    assert status == 200
    assert headers["Server"] == "kpitree"
    assert headers["X-Frame-Options"] == "DENY"
    assert data["partial"] == "2027-06"
    code, out, _ = cli("compare", path, "--measure", "--as-of", "2027-06-20", "--format", "json")
    assert code == 0
    assert data["comparison"] == json.loads(out)


def test_static_tree(cli) -> None:
    """A tree without time axis is served too: one value per input, no periods, the KGI's one
    target, a forecast and a solve equal to the command line's."""
    path = TREES / "unit_economics.yaml"
    tree = kpitree.load(path)
    with running(path) as server:
        _, info, _ = request(server, "/api/tree")
        _, evaluated, _ = request(server, "/api/evaluate", {})
        _, forecast, _ = request(server, "/api/forecast", {"samples": 500, "seed": 2})
        lever = info["levers"][0]
        _, solved, _ = request(server, "/api/solve", {"levers": [lever]})
    assert info["periods"] is None
    assert all(len(node["value"]) == 1 for node in info["nodes"] if node["kind"] == "input")
    assert evaluated["evaluation"] == plain(tree.evaluate())
    kgi = evaluated["kgi"]
    assert (kgi["target"], kgi["value"]) == (4, tree.evaluate().kgi_value)
    assert [m["period"] for m in kgi["milestones"]] == [None]
    assert forecast["forecast"] == plain(tree.forecast(500, 2))
    assert forecast["fan"]["periods"] is None
    code, out, _ = cli("solve", path, "--lever", lever, "--format", "json")
    assert solved["solution"] == json.loads(out)
    assert code in (0, 1)
