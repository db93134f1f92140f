"""``kpitree serve`` on the command line: the address printed, Ctrl-C ends it with status 0, bad
input ends it with status 2 before it listens."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TREES

ROOT = Path(__file__).resolve().parent.parent
SAAS = TREES / "saas_arr.yaml"


def start(*args: str | Path) -> subprocess.Popen[str]:
    """``kpitree serve ...`` as a child process, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "kpitree", "serve", *map(str, args), "--no-open"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_prints_url_serves_and_stops_on_sigint() -> None:
    """--port 0 prints the address with the port picked; the server answers there; SIGINT ends
    it quietly with status 0."""
    process = start(SAAS, "--port", "0")
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("kpitree serve: http://127.0.0.1:")
        url = line.split(": ", 1)[1].strip()
        assert "token" not in url
        with urllib.request.urlopen(url + "api/version", timeout=30) as response:
            assert "version" in json.loads(response.read())
        post = urllib.request.Request(
            url + "api/evaluate", data=b"{}", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(post, timeout=30) as response:
            assert json.loads(response.read())["kgi"]["name"] == "arr"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert (out, err) == ("", "")


def test_non_loopback_prints_a_generated_token() -> None:
    """A bind to 0.0.0.0 without --token prints a random token in the address and requires it."""
    process = start(SAAS, "--port", "0", "--host", "0.0.0.0")
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        url = line.split(": ", 1)[1].strip()
        address, _, token = url.partition("/?token=")
        assert len(token) >= 32
        port = address.rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}/api/version"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(local, timeout=30)
        assert refused.value.code == 401
        refused.value.close()
        with urllib.request.urlopen(f"{local}?token={token}", timeout=30) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0


def test_measure_serves_actuals() -> None:
    """--measure --as-of serves the measured actuals with the partial month named, and says on
    standard error that the month is partial, as compare does."""
    process = start(
        TREES / "saas_arr_measured.yaml", "--measure", "--as-of", "2027-06-20", "--port", "0"
    )
    try:
        url = process.stdout.readline().split(": ", 1)[1].strip()  # type: ignore[union-attr]
        with urllib.request.urlopen(url + "api/actuals", timeout=30) as response:
            data = json.loads(response.read())
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert (data["available"], data["partial"]) == (True, "2027-06")
    assert "2027-06 is partial" in err


def test_bad_tree_exits_2_before_listening(write_tree, cli) -> None:
    """A tree that does not load ends serve with FILE:LINE: message and status 2."""
    path = write_tree("name: t\nkgi: a\nnodes:\n  a: {formula: b +}\n")
    code, out, err = cli("serve", path, "--port", "0", "--no-open")
    assert code == 2
    assert out == ""
    assert err.startswith(f"{path}:4: ")
    assert "Traceback" not in err


def test_bad_actuals_exit_2(tmp_path, cli) -> None:
    """Actuals that do not read end serve with status 2 and the file's message."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("period,no_such_node\n2027-01,1\n", encoding="utf-8")
    code, out, err = cli("serve", SAAS, "--actuals", actuals, "--port", "0", "--no-open")
    assert code == 2
    assert out == ""
    assert str(actuals) in err


def test_port_in_use_exits_2(cli) -> None:
    """A port another program listens on ends serve with status 2 and a clear message."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli("serve", SAAS, "--port", port, "--no-open")
    assert code == 2
    assert out == ""
    assert (
        err
        == f"kpitree: --port {port}: the port is in use on 127.0.0.1 (another server?); try --port 0\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "kpitree: --port: expected a port number 0..65535, found '70000'\n"),
        (["--port", "http"], "kpitree: --port: 'http' is not a number\n"),
        (
            ["--token", " "],
            "kpitree: --token: expected 8 to 200 letters, digits or . _ ~ - (it goes into the page's address and a cookie)\n",
        ),
        (
            ["--token", "日本語のトークンです"],
            "kpitree: --token: expected 8 to 200 letters, digits or . _ ~ - (it goes into the page's address and a cookie)\n",
        ),
        (
            ["--token", "pass;w d&x"],
            "kpitree: --token: expected 8 to 200 letters, digits or . _ ~ - (it goes into the page's address and a cookie)\n",
        ),
        (["--as-of", "2027-01-01"], "kpitree: --as-of and --partial go with --measure\n"),
    ],
)
def test_bad_options_exit_2(cli, args, message) -> None:
    """Bad options end serve with status 2 and one line."""
    code, out, err = cli("serve", SAAS, *args, "--no-open")
    assert (code, out, err) == (2, "", message)


def test_unknown_host_exits_2(cli) -> None:
    """A host that is no address of this machine ends serve with status 2."""
    code, _, err = cli("serve", SAAS, "--host", "192.0.2.254", "--port", "0", "--no-open")
    assert code == 2
    assert err.startswith("kpitree: --host 192.0.2.254")


def test_serve_help_imports_no_heavy_library() -> None:
    """kpitree serve --help answers without sympy, scipy, pandas, matplotlib or networkx."""
    code = (
        "import contextlib, io, sys\nfrom kpitree.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['serve', '--help']) == 0\n"
        "heavy = {'sympy', 'scipy', 'pandas', 'matplotlib', 'networkx'}\n"
        "print(' '.join(sorted(heavy & {m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
