"""The served session over a real socket: reload when the tree or its sources change, keep the
old tree while the file is broken, save scenarios (atomic, 409 on a stale version, concurrent
saves serialised), download a scenario, and reuse the compiled engine between requests."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
import yaml
from serve_client import TREES, request, running

import kpitree
from kpitree.present.export import to_json

SAAS = TREES / "saas_arr.yaml"


@pytest.fixture
def tree_file(tmp_path: Path) -> Path:
    """A copy of saas_arr that the test may edit."""
    path = tmp_path / "saas_arr.yaml"
    shutil.copyfile(SAAS, path)
    return path


def plain(result) -> dict:
    """A result as the command line's JSON reads back."""
    return json.loads(to_json(result.to_dict()))


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the file, checking it was there."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_version_moves_and_tree_reloads(tree_file) -> None:
    """An edit of the tree file changes /api/version and the next evaluation uses the new tree."""
    with running(tree_file) as server:
        first = request(server, "/api/version")[1]
        assert request(server, "/api/version")[1] == first
        edit(tree_file, "value: 0.25\n", "value: 0.3\n")
        second = request(server, "/api/version")[1]
        assert "error" not in second
        assert second["version"] != first["version"]
        _, data, _ = request(server, "/api/evaluate", {})
        assert data["version"] == second["version"]
        assert request(server, "/api/tree")[1]["version"] == second["version"]
    assert data["evaluation"] == plain(kpitree.load(tree_file).evaluate())
    assert data["evaluation"] != plain(kpitree.load(SAAS).evaluate())


def test_broken_tree_keeps_the_old_one(tree_file) -> None:
    """A tree that no longer loads keeps the old one serving, /api/version says FILE:LINE and
    why, and the fixed file is loaded again."""
    with running(tree_file) as server:
        first = request(server, "/api/version")[1]["version"]
        edit(tree_file, "formula: delay(sql, 2, 25) * win_rate", "formula: delay(sql, 2, 25) *")
        status, data, _ = request(server, "/api/version")
        assert status == 200
        assert data["version"] == first
        assert data["error"].startswith(f"{tree_file}:130: node 'won': formula")
        assert request(server, "/api/version")[1] == data  # remembered, not read again
        status, evaluated, _ = request(server, "/api/evaluate", {})
        assert status == 200
        assert evaluated["evaluation"] == plain(kpitree.load(SAAS).evaluate())
        edit(tree_file, "formula: delay(sql, 2, 25) *", "formula: delay(sql, 2, 25) * win_rate")
        data = request(server, "/api/version")[1]
        assert "error" not in data


def test_removed_tree_file_keeps_serving(tree_file) -> None:
    """A tree file removed while serving is an error on /api/version, not a failure."""
    with running(tree_file) as server:
        tree_file.unlink()
        status, data, _ = request(server, "/api/version")
        assert status == 200
        assert str(tree_file) in data["error"]
        assert request(server, "/api/evaluate", {})[0] == 200


def test_source_change_reloads_actuals(tmp_path) -> None:
    """A record file of the tree's sources touched moves the version and re-reads the actuals."""
    shutil.copytree(TREES / "crm", tmp_path / "crm")
    path = tmp_path / "measured.yaml"
    shutil.copyfile(TREES / "saas_arr_measured.yaml", path)
    reads = []

    def read_actuals(tree):
        reads.append(tree)
        return None

    with running(path, read_actuals=read_actuals) as server:
        first = request(server, "/api/version")[1]["version"]
        assert len(reads) == 1
        leads = tmp_path / "crm" / "leads.csv"
        stat = leads.stat()
        os.utime(leads, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        second = request(server, "/api/version")[1]["version"]
    assert second != first
    assert len(reads) == 2
    assert reads[1] is not reads[0]


def test_engine_is_compiled_once(monkeypatch) -> None:
    """Evaluations through the server reuse the tree's compiled engine: none is built per
    request."""
    from kpitree import engine

    built = []
    original = engine.Engine.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(engine.Engine, "__init__", counting)
    with running(SAAS) as server:
        for value in (0.2, 0.22, 0.24, 0.26):
            assert request(server, "/api/evaluate", {"overrides": {"win_rate": value}})[0] == 200
    assert len(built) == 1


def test_save_scenario_then_eval_reads_it(tree_file, cli) -> None:
    """A saved scenario is in the file (comments kept), served at once, and
    ``kpitree eval --scenario`` gives what the page evaluated."""
    overrides = {"win_rate": "27%", "visit_cvr": 0.031}
    with running(tree_file) as server:
        version = request(server, "/api/tree")[1]["version"]
        _, shown, _ = request(server, "/api/evaluate", {"overrides": overrides})
        status, data, _ = request(
            server, "/api/scenario", {"name": "room", "overrides": overrides, "version": version}
        )
        assert status == 200
        assert data["saved"] == "room"
        assert data["version"] != version
        assert request(server, "/api/version")[1] == {"version": data["version"]}
        info = request(server, "/api/tree")[1]
        assert "room" in info["scenarios"]
        assert info["version"] == data["version"]
        _, by_name, _ = request(server, "/api/evaluate", {"scenario": "room"})
    assert by_name["evaluation"]["scenario"] == "room"
    assert {**by_name["evaluation"], "scenario": None} == shown["evaluation"]
    text = tree_file.read_text(encoding="utf-8")
    assert "# Inside sales reaches the 15 % target, closing improves, churn falls." in text
    code, out, _ = cli("eval", tree_file, "--scenario", "room", "--format", "json")
    assert code == 0
    assert json.loads(out) == by_name["evaluation"]


def test_stale_version_is_409_and_nothing_written(tree_file) -> None:
    """A save against a version older than the file is 409 with the conflict message and the
    file is untouched."""
    with running(tree_file) as server:
        version = request(server, "/api/tree")[1]["version"]
        edit(tree_file, "value: 0.25\n", "value: 0.26\n")
        before = tree_file.read_bytes()
        status, data, _ = request(
            server, "/api/scenario", {"name": "x", "overrides": {}, "version": version}
        )
    assert status == 409
    assert "changed since it was loaded" in data["error"]
    assert tree_file.read_bytes() == before


def test_concurrent_saves_one_wins(tree_file) -> None:
    """Two saves at once from the same version: one is saved, the other is 409; the file holds
    exactly the winner's scenario and still loads."""
    with running(tree_file) as server:
        version = request(server, "/api/tree")[1]["version"]
        answers: dict[str, int] = {}
        start = threading.Barrier(2)

        def save(name: str) -> None:
            start.wait()
            body = {"name": name, "overrides": {"win_rate": 0.3}, "version": version}
            answers[name] = request(server, "/api/scenario", body)[0]

        threads = [threading.Thread(target=save, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(answers.values()) == [200, 409]
    winner = next(name for name, status in answers.items() if status == 200)
    scenarios = kpitree.load(tree_file).scenarios
    assert winner in scenarios
    assert ({"a", "b"} - {winner}).isdisjoint(scenarios)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "", "overrides": {}}, "a scenario name must not be empty"),
        ({"name": 3, "overrides": {}}, "a scenario name must be text"),
        ({"name": "x", "overrides": {"win_rate": "lots"}}, "'lots' is not a number"),
        ({"name": "x", "overrides": {"win_rate": 2}}, "outside bounds [0, 1]"),
        ({"name": "x", "overrides": {"nope": 2}}, "overrides: 'nope' is not an input of saas_arr"),
        ({"name": "x", "overrides": {"arr": 2}}, "overrides: 'arr' is not an input of saas_arr"),
        ({"name": "x", "overrides": []}, "overrides: expected input: value pairs, found a list"),
    ],
)
def test_bad_saves_are_400(tree_file, body, message) -> None:
    """A bad name or value is 400 with the saver's message, and the file is untouched."""
    before = tree_file.read_bytes()
    with running(tree_file) as server:
        version = request(server, "/api/tree")[1]["version"]
        status, data, _ = request(server, "/api/scenario", {**body, "version": version})
    assert status == 400
    assert message in data["error"]
    assert tree_file.read_bytes() == before


def test_save_without_version_is_400(tree_file) -> None:
    """A save that does not say which version it was made on is refused."""
    with running(tree_file) as server:
        status, data, _ = request(server, "/api/scenario", {"name": "x", "overrides": {}})
    assert (status, data) == (
        400,
        {"error": "version: expected the version the values were chosen on, found null"},
    )


@pytest.mark.parametrize(
    ("name", "filename"),
    [("room", "room.yaml"), ("plan-2027_v2", "plan-2027_v2.yaml"), ("会議", "scenario.yaml"),
     ('a"; b', "scenario.yaml"), ("..", "scenario.yaml")],
)  # fmt: skip
def test_scenario_download(name, filename) -> None:
    """POST /api/scenario.yaml answers a YAML attachment that reads back as the scenario."""
    with running(SAAS) as server:
        body = {"name": name, "overrides": {"win_rate": "27%", "visits": [1] * 12}}
        status, payload, headers = request(server, "/api/scenario.yaml", body)
    assert status == 200
    assert headers["Content-Type"] == "text/yaml; charset=utf-8"
    assert headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert yaml.safe_load(payload.decode("utf-8")) == {
        "scenarios": {name: {"win_rate": 0.27, "visits": [1] * 12}}
    }


def test_scenario_download_bad_value() -> None:
    """A download with a value that is not a number is 400."""
    with running(SAAS) as server:
        status, data, _ = request(
            server, "/api/scenario.yaml", {"name": "x", "overrides": {"win_rate": "x"}}
        )
    assert status == 400
    assert "'x' is not a number" in data["error"]
