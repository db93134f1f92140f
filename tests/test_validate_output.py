"""kpitree validate emits its summary as every command emits a result: --format, -o by
extension, --quiet."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TREES


def test_validate_json_has_the_counts(cli) -> None:
    """--format json gives the tree's name, KGI and counts (saas_arr: 12 months)."""
    status, out, err = cli("validate", TREES / "saas_arr.yaml", "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert (data["ok"], data["tree"], data["kgi"]) == (True, "saas_arr", "arr")
    assert (data["periods"], data["unit"]) == (12, "month")
    assert data["nodes"] == data["inputs"] + data["derived"]


def test_validate_output_file_by_extension(cli, tmp_path: Path) -> None:
    """-o x.json writes the JSON whole and prints nothing; -o x.txt the one line."""
    target = tmp_path / "v.json"
    status, out, _ = cli("validate", TREES / "unit_economics.yaml", "-o", target)
    assert (status, out) == (0, "")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert (data["periods"], data["unit"]) == (None, None)  # a static tree
    text = tmp_path / "v.txt"
    status, out, _ = cli("validate", TREES / "unit_economics.yaml", "-o", text)
    assert status == 0
    assert text.read_text(encoding="utf-8") == (
        f"{TREES / 'unit_economics.yaml'}: ok: tree 'unit_economics', kgi 'ltv_to_cac', 11 nodes "
        "(6 inputs, 5 derived, static), 3 scenarios, 0 uncertain inputs\n"
    )


def test_validate_table_is_the_one_line(cli) -> None:
    """The default output is still the one-line summary the command always printed."""
    status, out, _ = cli("validate", TREES / "saas_arr.yaml")
    assert status == 0
    assert out.count("\n") == 1
    assert ": ok: tree 'saas_arr', kgi 'arr', " in out
