"""Hostile input: every bad file, cell or option is one clear line and exit 2, never a
traceback, a hang or a half-written file; what people commonly write (1e3 in YAML, Shift-JIS
CSV, full-width digits, ▲1,200) is read as they mean it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import TREES

import kpitree
from kpitree.actuals import parse_cell, read_actuals
from kpitree.errors import CycleError, DataError, FormulaError, KpiTreeError, SpecError
from kpitree.formula import parse_formula

HEAD = "name: t\nkgi: arr\nnodes:\n"
TIMED = "name: t\nkgi: arr\ntime: {periods: 3, start: 2027-01}\nnodes:\n"


def one_line_error(cli, *argv) -> str:
    """Run the command line; check exit 2, nothing on stdout, one line on stderr, no
    traceback; return that line."""
    status, out, err = cli(*argv)
    assert status == 2, (status, out, err)
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err.strip()


def laughs(levels: int) -> str:
    """A 'billion laughs' document: each level aliases the previous one nine times."""
    lines = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "name: t\nkgi: arr\ndescription:\n" + "\n".join(lines) + "\nnodes:\n  arr: {value: 1}\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (HEAD + "  a: {value: 1}\n  arr: {formula: '" + "(" * 2000 + "a" + ")" * 2000 + "'}\n",
         5, "the formula nests more than 100 levels deep at column 101"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: '" + "-" * 5000 + "a'}\n",
         5, "the formula nests more than 100 levels deep"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: '" + "a**" * 3000 + "a'}\n",
         5, "the formula nests more than 100 levels deep"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: 1/0 + a}\n",
         5, "formula '1/0 + a': the constant part '1/0' is infinite (a division by zero, or log(0))"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: log(0) * a}\n", 5, "the constant part '1/0' is infinite"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: sqrt(-1) * a}\n",
         5, "the constant part 'sqrt(-1)' is not a real number"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: 0/0 + a}\n", 5, "the constant part 'nan' is undefined"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: a * 1e300 * 1e300}\n",
         5, "the constant part '1.00e+600' is out of range"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: a * 10**10**10}\n",
         5, "the constant 10**10000000000 at column 7 is out of range"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: a * 1e-99999999999}\n",
         5, "the number 1e-99999999999 is out of range"),
        (HEAD + "  a: {value: 1}\n  b: {value: 2}\n  c: {value: 3}\n  arr: {formula: a < b < c}\n",
         7, "comparisons do not chain (a < b < c)"),
        (TIMED + "  a: {value: 1}\n  arr: {formula: 'delay(a, 1, 1/0)'}\n",
         6, "formula 'delay(a, 1, 1/0)': the constant part '1/0' is infinite"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: \"a\\0\"}\n", 5, "unexpected character 'U+0000'"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: if(a > 0, a, 0)}\n",
         5, "formula 'if(a > 0' is cut at a comma: inside {...} put a formula with commas in "
         "quotes, {formula: 'if(a > 0, a, 0)'}"),
        (HEAD + "  arr: {value: " + "9" * 400 + "}\n",
         4, "node 'arr': value must be finite (at most about 1.8e308), found a number of 400 digits"),
        (HEAD + "  ARR: {value: 1}\n  arr: {formula: ARR * 2}\n",
         5, "node 'arr' differs from node 'ARR' only in case"),
        (HEAD + "  a: {value: 1}\n  arr: {formula: a * 2, distribution: {dist: normal, mean: 1, sd: 1}}\n",
         5, "node 'arr' has a formula, so its distribution would never be used"),
        (HEAD + "  arr: {value: 1, alert: {below: 5, above: 1}}\n",
         4, "node 'arr': alert below 5 and above 1 would fire on every value"),
        (HEAD + "  arr: {value: 1, distribution: {dist: normal, mean: 1.0e+308, sd: 1.0e+308}}\n",
         4, "normal with mean 1e+308, sd 1e+308 cannot be drawn from"),
        ("name:\nkgi: arr\nnodes:\n  arr: {value: 1}\n", 1, "'name' is empty"),
        (HEAD + "  ~: {value: 1}\n  arr: {value: 2}\n", 4, "node name '~' is not a valid name"),
        ("name: t\x07\nkgi: arr\nnodes:\n  arr: {value: 1}\n",
         1, "YAML cannot hold the control character U+0007"),
        ("name: t\nkgi: arr\nnodes:\n  arr: &a {value: 1, x: [*a]}\n",
         4, "a YAML alias (*name) refers to the mapping or list that contains it"),
        (laughs(11), 8, "YAML aliases (*name) expand to more than 100,000 values or 100,000 characters"),
        ("name: t\nkgi: arr\ntime: {periods: 1000000000}\nnodes:\n  arr: {value: 1}\n",
         3, "time: periods must be at most 10,000"),
        ("name: t\nkgi: arr\ntime: {periods: 3, unit: day, start: 9999-12-31}\nnodes:\n"
         "  arr: {value: 1}\n", 3, "time: 3 days from 9999-12-31 run past the year 9999"),
    ],
)  # fmt: skip
def test_bad_tree_is_one_line(cli, write_tree, text, line, message) -> None:
    """Each hostile tree file exits 2 with FILE:LINE: and the message, quickly."""
    path = write_tree(text)
    started = time.perf_counter()
    err = one_line_error(cli, "validate", path)
    assert err.startswith(f"{path}:{line}: "), err
    assert message in err
    assert time.perf_counter() - started < 5  # the bomb and 10 ** 10 ** 10 do not hang


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        (1000, "the YAML nests too deeply (lists or mappings inside each other hundreds of levels)"),
        (10_000, "the YAML nests too deeply (lists or mappings inside each other hundreds of levels)"),
        (990, "'label' must be text, found list"),
    ],
)  # fmt: skip
def test_yaml_nested_too_deep_is_one_line(cli, write_tree, depth, message) -> None:
    """A YAML value nested a thousand levels deep is refused by the parser; just under that it
    is read without recursion (no RecursionError) and refused for its type."""
    path = write_tree(HEAD + "  arr: {value: 1, label: " + "[" * depth + "]" * depth + "}\n")
    err = one_line_error(cli, "validate", path)
    assert err == f"{path}:4: {message}"


def test_yaml_aliases_within_budget_are_expanded() -> None:
    """A small alias (a shared benchmark) is read as the values it names."""
    tree = kpitree.loads(
        HEAD + "  a: {value: 0.2, benchmark: &rate [0.1, 0.3]}\n"
        "  b: {value: 0.25, benchmark: *rate}\n  arr: {formula: a * b}\n"
    )
    assert tree.nodes["b"].benchmark == (0.1, 0.3)


def test_yaml_numbers_as_people_write_them() -> None:
    """1e3 and 2.5e6 are numbers (YAML 1.1 alone would read them as text); quoted text is read
    as a CSV cell is ('1e3' is 1000), and text that is no number is refused."""
    tree = kpitree.loads(
        HEAD + "  a: {value: 2.5e6}\n  b: {value: 1e3}\n  c: {value: -1E-2}\n"
        "  arr: {formula: a + b + c}\n"
    )
    assert tree.evaluate().kgi_value == 2_500_000 + 1000 - 0.01
    assert kpitree.loads(HEAD + "  arr: {value: '1e3'}\n").nodes["arr"].value == 1000
    with pytest.raises(SpecError, match="value must be a number, found '1e3x'"):
        kpitree.loads(HEAD + "  arr: {value: '1e3x'}\n")


def test_overflow_at_evaluation_is_an_evaluation_error(cli, write_tree) -> None:
    """1e308 + 1e308 overflows to inf: a clear EvaluationError naming the node."""
    path = write_tree(
        HEAD + "  a: {value: 1.0e+308}\n  b: {value: 1.0e+308}\n  arr: {formula: a + b}\n"
    )
    err = one_line_error(cli, "eval", path)
    assert err == f"{path}:6: node 'arr': an infinite result (inf); formula: a + b"


@pytest.mark.parametrize(
    "text",
    ["(" * 101 + "a" + ")" * 101, "1/0", "log(0)", "sqrt(-1)", "a < b < c", "9**9**9**9",
     "a * 1e999", "a * " + "9" * 5000, "delay(x, 1, sqrt(-4))"],
)  # fmt: skip
def test_api_formula_errors_are_formula_errors(text: str) -> None:
    """Through the API a hostile formula raises FormulaError, not RecursionError/KeyError."""
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_formula_at_depth_limit_parses() -> None:
    """A hundred nested parentheses is still a formula (the limit is beyond it)."""
    assert parse_formula("(" * 99 + "a" + ")" * 99).names == {"a"}


def test_tree_file_in_shift_jis_is_read(tmp_path) -> None:
    """A tree saved as Shift-JIS (Notepad on Japanese Windows) reads like UTF-8."""
    path = tmp_path / "tree.yaml"
    path.write_bytes(
        (HEAD + "  arr: {value: 1, label: 年間経常収益, owner: 経営企画}\n").encode("cp932")
    )
    tree = kpitree.load(path)
    assert (tree.nodes["arr"].label, tree.nodes["arr"].owner) == ("年間経常収益", "経営企画")


def test_tree_file_neither_utf8_nor_shift_jis(cli, tmp_path) -> None:
    """Bytes that are neither encoding are one clear line saying what to do."""
    path = tmp_path / "tree.yaml"
    path.write_bytes(b"name: caf\xe9\nkgi: arr\n")
    err = one_line_error(cli, "validate", path)
    assert err == (
        f"{path}: the tree file is not UTF-8 text (nor Shift-JIS): save it as UTF-8 "
        "(in Excel: CSV UTF-8)"
    )


# -- command-line options ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--set", "win_rate=nan"], "kpitree: --set win_rate: expected a finite number, found 'nan'"),
        (["forecast", "--samples", "inf"], "kpitree: --samples: expected a finite number, found 'inf'"),
        (["report", "-o", "r.html", "--seed", "1e999"], "kpitree: --seed: expected a finite number, found '1e999'"),
        (["eval", "--set", "visits=[1, 2]"],
         "kpitree: node 'visits': expected 12 values (one per period), found 2"),
        (["tornado", "--swing", "1"], "kpitree: --swing: expected a number > 0 and < 1 (100%), found '1'"),
    ],
)  # fmt: skip
def test_bad_option_values(cli, argv, message) -> None:
    """nan, inf and values that do not fit are one line naming the option, not the tree file."""
    command, *rest = argv
    assert one_line_error(cli, command, TREES / "saas_arr.yaml", *rest) == message


def test_full_width_option_value_is_read(cli) -> None:
    """--set win_rate=３０％ (typed with a Japanese input method) is 0.3."""
    _, full, _ = cli(
        "eval", TREES / "webinar_case.yaml", "--set", "win_rate=３０％", "--format", "json"
    )
    _, ascii_, _ = cli(
        "eval", TREES / "webinar_case.yaml", "--set", "win_rate=0.3", "--format", "json"
    )
    assert full
    assert full == ascii_


@pytest.mark.parametrize("command", [["plot", "-o"], ["tornado", "--plot"], ["report", "-o"]])
def test_output_into_a_directory_is_refused_before_computing(cli, tmp_path, command) -> None:
    """An output path that is a folder is refused up front, and nothing is written."""
    target = tmp_path / ("out.html" if command[0] == "report" else "out.png")
    target.mkdir()
    err = one_line_error(cli, command[0], TREES / "saas_arr.yaml", command[1], target)
    assert err == f"kpitree: {command[1]} {target}: is a directory, expected a file name"
    assert [p.name for p in tmp_path.iterdir()] == [
        "out.html" if command[0] == "report" else "out.png"
    ]


def test_unwritable_output_is_one_line(cli, tmp_path, monkeypatch) -> None:
    """A write that fails at the end (here: the temporary file cannot be made) is one line
    and leaves nothing behind."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = tmp_path / "tree.png"
    err = one_line_error(cli, "plot", TREES / "webinar_case.yaml", "-o", target)
    assert err == f"kpitree: {target}: cannot write the file: Permission denied"
    assert list(tmp_path.iterdir()) == []


# -- actuals ----------------------------------------------------------------------------------
SAAS = kpitree.load(TREES / "saas_arr.yaml")
PLAIN = "period,visits,visit_cvr,sql_rate\n2027-01,18450,0.024,0.095\n2027-02,16200,0.022,0.09\n"


def actuals_of(tmp_path: Path, data: bytes) -> dict:
    """The values read from a CSV file with these bytes."""
    path = tmp_path / "actuals.csv"
    path.write_bytes(data)
    return read_actuals(path, SAAS).values


@pytest.mark.parametrize(
    "data",
    [
        PLAIN.encode("cp932"),
        "period,visits,visit_cvr,sql_rate\n2027年1月,１８，４５０,２．４％,９．５ ％\n"
        '2027/2/28 0:00,"16,200",2.2 %,9%\n'.encode("cp932"),
        PLAIN.replace(",", ";").encode("utf-8"),
        PLAIN.replace(",", "\t").encode("utf-16"),
        b"period,visits,visit_cvr,sql_rate\n2027/1,18450,2.4%,9.5%\n2027.2,16200,2.2%,9%\n",
    ],
    ids=["shift-jis", "japanese-excel", "semicolon", "utf16-tab", "year-month"],
)
def test_actuals_as_exported_by_excel(tmp_path, data: bytes) -> None:
    """Shift-JIS, full-width digits, 2027年1月, Excel date-times, ';' and UTF-16 tab files
    give the same actuals as the plain file."""
    expected = actuals_of(tmp_path, PLAIN.encode())
    found = actuals_of(tmp_path, data)
    assert found.keys() == expected.keys()
    for name, by_period in expected.items():
        assert found[name] == pytest.approx(by_period, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "number"),
    [("(1,200)", -1200.0), ("▲1,200", -1200.0), ("△ 30", -30.0), ("１，２００", 1200.0),
     ("12 %", 0.12), ("１２％", 0.12), ("\u22125", -5.0), ("¥1,200", 1200.0), ("1,200円", 1200.0)],
)  # fmt: skip
def test_accounting_and_japanese_cells(text: str, number: float) -> None:
    """Accounting negatives, full-width digits, yen signs and spaced percents are numbers."""
    assert parse_cell(text) == pytest.approx(number, rel=1e-15)


@pytest.mark.parametrize("text", ["(-5)", "▲-5", "()", "▲", "¥", "1,5", "nan", "inf", "1e999"])
def test_ambiguous_cells_are_refused(text: str) -> None:
    """A double sign, an empty accounting cell or a non-finite number is not a number."""
    with pytest.raises(ValueError, match=re.escape(text)):
        parse_cell(text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"period,visits\n2027-01," + b"9" * 200_000 + b"\n", ":2: not a CSV file: field larger than"),
        (b"period,visits\n2027-01,5\x00\n", "is not a CSV text file (it holds NUL bytes)"),
        (b"period,visits\n2027-01,1\xa0000\n", "is not UTF-8 text (nor Shift-JIS): save it as UTF-8"),
        (b"period;visits\n2027-01;2,5\n", ":2: column 'visits': '2,5' is not a number"),
        (b"period,visits\n2027/2/30,5\n", ":2: column 'period': '2027/2/30' is not a valid date"),
    ],
)  # fmt: skip
def test_bad_actuals_files(cli, tmp_path, data: bytes, message: str) -> None:
    """Each bad actuals file is one line naming the file (and line) and the problem."""
    path = tmp_path / "actuals.csv"
    path.write_bytes(data)
    err = one_line_error(cli, "compare", TREES / "saas_arr.yaml", "--actuals", path)
    assert message in err
    assert str(path) in err


def test_month_in_a_daily_tree_is_refused(write_tree, tmp_path) -> None:
    """2027/1 names a month, which is not one period of a daily tree."""
    tree = kpitree.load(
        write_tree("name: t\nkgi: a\ntime: {periods: 5, unit: day, start: 2027-01-01}\n"
                   "nodes:\n  a: {value: 1}\n")
    )  # fmt: skip
    path = tmp_path / "actuals.csv"
    path.write_text("period,a\n2027/1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="'2027/1' names a month, which is not one period"):
        read_actuals(path, tree)


def test_api_errors_are_kpitree_errors(write_tree) -> None:
    """Through the API every hostile tree raises a KpiTreeError subclass."""
    texts = [
        HEAD + "  arr: {formula: '" + "(" * 500 + "1" + ")" * 500 + "'}\n",
        laughs(11),
        HEAD + "  arr: {value: " + "9" * 400 + "}\n",
        "name: t\x00\n",
    ]
    for text in texts:
        with pytest.raises(KpiTreeError):
            kpitree.loads(text)


def test_tables_align_japanese_text() -> None:
    """A wide character takes two terminal columns, so columns after Japanese text align."""
    from kpitree.present.table import render_table

    text = render_table(["owner", "n"], [["マーケ", "1"], ["a", "22"]])
    assert text.splitlines() == ["owner    n", "------  --", "マーケ   1", "a       22"]


def test_api_override_beyond_a_float_is_a_data_error() -> None:
    """An override of 10 ** 400 (a Python int) is a DataError, not an OverflowError."""
    tree = kpitree.load(TREES / "webinar_case.yaml")
    with pytest.raises(DataError, match=r"node 'webinars': value must be finite .* too large"):
        tree.evaluate(overrides={"webinars": 10**400})


@pytest.mark.parametrize("analysis", ["forecast", "sobol"])
@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_api_seed_must_be_a_whole_number(analysis, seed) -> None:
    """forecast() and sobol() refuse a seed that is not a whole number >= 0 with a DataError
    naming it, not numpy's bare ValueError or TypeError."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    with pytest.raises(DataError, match=r"seed must be a whole number >= 0, found"):
        getattr(tree, analysis)(samples=64, seed=seed)


# -- the command line under stress: long names, full disks, Ctrl-C ----------------------------
def test_output_name_too_long_is_one_line(cli, tmp_path) -> None:
    """A 300-character output name is refused up front with its length, the name cut short."""
    target = tmp_path / ("a" * 300 + ".png")
    err = one_line_error(cli, "plot", TREES / "webinar_case.yaml", "-o", target)
    assert err.startswith("kpitree: -o ")
    assert err.endswith(
        ": the file name is 304 bytes long, more than the 255 the file system allows"
    )
    assert "(3" in err  # the name is cut, its length given
    assert len(err) < 320
    assert list(tmp_path.iterdir()) == []


def test_output_name_at_the_limit_is_written(cli, tmp_path) -> None:
    """A 255-byte name is written: the temporary file does not lengthen it."""
    target = tmp_path / ("b" * 250 + ".html")
    status, _, err = cli("report", TREES / "webinar_case.yaml", "-o", target, "--samples", "64")
    assert (status, err) == (0, "")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("command", ["sensitivity", "tornado", "bottleneck", "attribute"])
def test_period_of_5000_digits_is_one_line(cli, command) -> None:
    """A 5,000-digit --period is refused with an excerpt, not Python's int-conversion error."""
    extra = ["--previous"] if command == "attribute" else []
    err = one_line_error(cli, command, TREES / "saas_arr.yaml", "--period", "9" * 5000, *extra)
    assert err == (
        "kpitree: --period: expected a period label (2027-06) or number, found "
        "'9999999999999999999999999999...9999999999999999999999999999 (5,000 characters)'"
    )


def test_huge_set_value_is_echoed_short(cli) -> None:
    """A 100,000-character --set value gives a short line, not the value back."""
    err = one_line_error(cli, "eval", TREES / "saas_arr.yaml", "--set", "visits=" + "x" * 100_000)
    assert err.startswith("kpitree: --set visits: 'xxxx")
    assert err.endswith("(100,000 characters)' is not a number")


def test_stdout_on_a_full_disk_is_one_line() -> None:
    """Output to /dev/full (a full disk) exits 2 with one line, no traceback."""
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "kpitree", "eval", str(TREES / "nrr.yaml")],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "kpitree: cannot write the output: No space left on device\n"


def test_interrupt_is_exit_130_and_one_line(monkeypatch, capsys) -> None:
    """Ctrl-C while a command runs exits 130 with one line, no traceback."""
    from kpitree.cli import evaluate, main

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "run", interrupted)
    monkeypatch.setattr("sys.argv", ["kpitree", "eval", str(TREES / "nrr.yaml")])
    with pytest.raises(SystemExit) as exit_:
        main.entry()
    assert exit_.value.code == 130
    assert capsys.readouterr().err == "kpitree: interrupted\n"


def test_sigint_to_a_running_forecast_is_exit_130() -> None:
    """A real SIGINT to a long forecast ends it with status 130 and one line."""
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "kpitree", "forecast", str(TREES / "saas_arr.yaml"),
         "--samples", "50_000_000", "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2.0)  # past the interpreter's own start-up, inside the command
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert (out, err) == ("", "kpitree: interrupted\n")


# -- files that are not files, too big, aliases that expand too far, too many nodes ----------
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_as_tree_file_is_refused(cli, device) -> None:
    """A device given as the tree file is refused at once, not read forever."""
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    started = time.perf_counter()
    err = one_line_error(cli, "validate", device)
    assert err == (
        f"{device}: cannot read the tree file: is not a regular file (a device, a pipe or a "
        "socket): give a saved file"
    )
    assert time.perf_counter() - started < 5


def test_fifo_as_tree_or_actuals_is_refused(cli, tmp_path) -> None:
    """A named pipe with no writer is refused at once instead of waiting forever, as a tree
    and as actuals."""
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.perf_counter()
    err = one_line_error(cli, "validate", fifo)
    assert err.endswith(
        "cannot read the tree file: is not a regular file (a device, a pipe or a socket): give a saved file"
    )
    err = one_line_error(cli, "compare", TREES / "saas_arr.yaml", "--actuals", fifo)
    assert err == (
        f"kpitree: cannot read actuals file '{fifo}': is not a regular file (a device, a pipe "
        "or a socket): give a saved file"
    )
    assert one_line_error(cli, "check", TREES / "saas_arr.yaml", "--actuals", "/dev/zero")
    assert time.perf_counter() - started < 5


def test_directory_as_tree_file_is_refused(cli, tmp_path) -> None:
    """A folder given as the tree file says so."""
    err = one_line_error(cli, "validate", tmp_path)
    assert err == f"{tmp_path}: cannot read the tree file: is a directory, expected a file"


def test_oversized_files_are_refused_unread(cli, tmp_path) -> None:
    """A tree file over 16 MiB and an actuals file over 64 MiB are refused from their size
    (sparse files: nothing is read)."""
    tree = tmp_path / "big.yaml"
    with open(tree, "wb") as stream:
        stream.truncate(16 * 2**20 + 1)
    err = one_line_error(cli, "validate", tree)
    assert err == (
        f"{tree}: cannot read the tree file: the file has 16,777,217 bytes, more than the "
        "16,777,216 read"
    )
    actuals = tmp_path / "big.csv"
    with open(actuals, "wb") as stream:
        stream.truncate(64 * 2**20 + 1)
    err = one_line_error(cli, "compare", TREES / "saas_arr.yaml", "--actuals", actuals)
    assert "the file has 67,108,865 bytes, more than the 67,108,864 read" in err


def test_read_regular_file_reads_a_file_whole(tmp_path) -> None:
    """A regular file within the limit is read whole; one byte over is refused."""
    from kpitree.files import read_regular_file

    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 10)
    assert read_regular_file(path, limit=10) == b"x" * 10
    with pytest.raises(OSError, match="the file has 10 bytes, more than the 9 read"):
        read_regular_file(path, limit=9)
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing")
    with pytest.raises(OSError, match="NUL"):
        read_regular_file(str(tmp_path / "a\0b"))


def test_long_text_aliased_by_5000_nodes_is_refused_quickly(cli, write_tree) -> None:
    """A 1 MB text used as `owner: *d` by 5,000 nodes counts as what it expands to, and is
    refused at its first repetition."""
    owner = "x" * 1_000_000
    nodes = "\n".join(f"  n{i}: {{value: 1, owner: *d}}" for i in range(5000))
    path = write_tree(f"name: t\nkgi: n0\ndescription: &d {owner}\nnodes:\n{nodes}\n")
    started = time.perf_counter()
    err = one_line_error(cli, "validate", path)
    assert err == (
        f"{path}:5: YAML aliases (*name) expand to more than 100,000 values or 100,000 "
        "characters: write the values out"
    )
    assert time.perf_counter() - started < 5


def test_short_alias_reused_within_budget_is_read() -> None:
    """A short owner aliased by 1,000 nodes is within the budget and read as that owner."""
    nodes = "\n".join(f"  n{i}: {{value: 1, owner: *o}}" for i in range(1, 1000))
    tree = kpitree.loads(
        f"name: t\nkgi: n0\nnodes:\n  n0: {{value: 1, owner: &o sales}}\n{nodes}\n"
    )
    assert {node.owner for node in tree.nodes.values()} == {"sales"}


def test_node_count_limit_is_a_clear_message(cli, write_tree) -> None:
    """A tree of 100,000 nodes is refused from the count, quickly, with the documented limit."""
    nodes = "\n".join(f"  n{i}: {{value: 1}}" for i in range(100_000))
    path = write_tree(f"name: t\nkgi: n0\nnodes:\n{nodes}\n")
    started = time.perf_counter()
    err = one_line_error(cli, "validate", path)
    assert err == f"{path}:4: 'nodes' has more than the 10,000 entries kpitree reads"
    assert time.perf_counter() - started < 5


def test_any_text_file_as_a_tree_quotes_only_an_excerpt(cli, tmp_path) -> None:
    """A text file given as a tree (its first line a 1,000-character key) gives a short line."""
    path = tmp_path / "notes.txt"
    path.write_text("word " * 200 + ": something\nmore: text\n", encoding="utf-8")
    err = one_line_error(cli, "validate", path)
    assert err.startswith(f"{path}:1: unknown key 'word word")
    assert "(999 characters)" in err
    assert len(err) < 300 + len(str(path))


def test_long_node_name_is_cut_in_the_message(cli, write_tree) -> None:
    """A node name of 1,000 characters is refused with an excerpt."""
    path = write_tree(HEAD + "  " + "a" * 1000 + ": {value: 1}\n  arr: {value: 1}\n")
    err = one_line_error(cli, "validate", path)
    assert err.startswith(f"{path}:4: node name 'aaaa")
    assert err.endswith("(1,000 characters)' is longer than 100 characters")


def test_output_onto_a_pipe_is_refused(cli, tmp_path) -> None:
    """-o naming a named pipe (or a device such as /dev/full) is refused, never replaced by a
    file."""
    import os
    import stat

    fifo = tmp_path / "out.png"
    os.mkfifo(fifo)
    err = one_line_error(cli, "plot", TREES / "webinar_case.yaml", "-o", fifo)
    assert err == f"kpitree: -o {fifo}: is not a regular file (a device or a pipe)"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["eval", "--scenario"], "--scenario"),
        (["solve", "--lever", "win_rate", "--lever"], "--lever"),
        (["forecast", "--node"], "--node"),
        (["attribute", "--from"], "--from"),
    ],
)
def test_huge_names_in_options_are_cut(cli, argv, option) -> None:
    """A 100,000-character scenario, lever or node name is refused with an excerpt."""
    command, *rest = argv
    err = one_line_error(cli, command, TREES / "saas_arr.yaml", *rest, "n" * 100_000)
    assert err.startswith(f"kpitree: {option}: expected a name, found 'nnnn")
    assert err.endswith("(100,000 characters)'")


def test_deep_chain_loads_in_linear_time() -> None:
    """A chain of 1,000 formulas (each reading the next) loads in well under 10 s: the cycle
    check is a topological sort, not a search from every node (25 s here before)."""
    lines = [f"  n{i}: {{formula: n{i + 1} + 1}}" for i in range(999)] + ["  n999: {value: 1}"]
    text = "name: t\nkgi: n0\nnodes:\n" + "\n".join(lines) + "\n"
    started = time.perf_counter()
    tree = kpitree.loads(text)
    assert time.perf_counter() - started < 10
    assert len(tree.nodes) == 1000


def test_cycle_in_a_long_chain_is_still_named() -> None:
    """A cycle closed at the end of a long chain is found and named."""
    lines = [f"  n{i}: {{formula: n{i + 1} + 1}}" for i in range(500)] + ["  n500: {formula: n0}"]
    with pytest.raises(CycleError, match=r"cycle: n0 -> n500 -> n499 -> .* -> n1 -> n0$"):
        kpitree.loads("name: t\nkgi: n0\nnodes:\n" + "\n".join(lines) + "\n")
