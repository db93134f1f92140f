"""The dashboard's version of a tree: it changes with the tree file's bytes and with the record
files its sources read, and only then."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import kpitree
from kpitree.serve.watch import fingerprint, tree_text_version, tree_version

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def measured(tmp_path: Path) -> Path:
    """A copy of the measured tree and its CRM exports."""
    shutil.copytree(ROOT / "trees", tmp_path / "trees")
    return tmp_path / "trees" / "saas_arr_measured.yaml"


def current(path: Path) -> str:
    """The fingerprint of the tree file as the server would compute it after loading it."""
    return fingerprint(path, kpitree.load(path))


def touch(path: Path, seconds: int = 1) -> None:
    """Move a file's modification time forward without changing its bytes."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + seconds * 10**9))


def globbed(tmp_path: Path) -> Path:
    """A tree whose leads come from a glob of monthly exports (two files so far)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for month in ("2027-01", "2027-02"):
        (folder / f"leads-{month}.csv").write_text(f"created\n{month}-05\n", encoding="utf-8")
    path = tmp_path / "tree.yaml"
    path.write_text(
        "name: t\nkgi: leads\ntime: {periods: 3, unit: month, start: 2027-01}\n"
        "sources:\n  leads: exports/leads-*.csv\n"
        "nodes:\n  leads: {value: 1, measure: {source: leads, count: true, date: created}}\n",
        encoding="utf-8",
    )
    return path


def test_unchanged_files_keep_their_version(measured: Path) -> None:
    """Computing the version twice, or after reloading the tree, gives the same string."""
    first = current(measured)
    assert current(measured) == first
    assert fingerprint(measured, kpitree.load(measured)) == first


def test_tree_edit_changes_the_tree_part(measured: Path) -> None:
    """Editing the tree file changes its version, and its tree part is the bytes' digest."""
    before = current(measured)
    assert tree_version(before) == tree_text_version(measured.read_bytes())
    measured.write_text(measured.read_text(encoding="utf-8") + "# note\n", encoding="utf-8")
    after = current(measured)
    assert after != before
    assert tree_version(after) != tree_version(before)
    assert after.split("-")[1] == before.split("-")[1]


def test_same_bytes_written_again_keep_the_version(measured: Path) -> None:
    """Rewriting the tree file with the same bytes (a newer mtime) is not a change."""
    before = current(measured)
    measured.write_bytes(measured.read_bytes())
    touch(measured)
    assert current(measured) == before


def test_touched_source_changes_the_version(measured: Path) -> None:
    """A record file touched (same bytes, newer mtime) changes the sources part only."""
    before = current(measured)
    touch(measured.parent / "crm" / "opportunities.csv")
    after = current(measured)
    assert after != before
    assert tree_version(after) == tree_version(before)


def test_rewritten_source_changes_the_version(measured: Path) -> None:
    """A record file that grows changes the version even with its mtime put back."""
    leads = measured.parent / "crm" / "leads.csv"
    status = leads.stat()
    before = current(measured)
    with leads.open("a", encoding="utf-8") as stream:
        stream.write("\n")
    os.utime(leads, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert current(measured) != before


def test_missing_source_is_a_version_not_an_error(measured: Path) -> None:
    """A source file that disappears gives a version of its own; putting it back restores
    the old one."""
    tree = kpitree.load(measured)
    before = fingerprint(measured, tree)
    leads = measured.parent / "crm" / "leads.csv"
    moved = leads.with_suffix(".bak")
    status = leads.stat()
    leads.rename(moved)
    gone = fingerprint(measured, tree)
    assert gone != before
    moved.rename(leads)
    os.utime(leads, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert fingerprint(measured, tree) == before


def test_missing_tree_file_is_a_version_not_an_error(measured: Path) -> None:
    """The tree file itself gone (mid-save by an editor) gives a distinct version."""
    tree = kpitree.load(measured)
    before = fingerprint(measured, tree)
    measured.unlink()
    assert fingerprint(measured, tree) != before


def test_new_file_matching_a_glob_changes_the_version(tmp_path: Path) -> None:
    """A new monthly export that matches a source's glob changes the version; a file that
    does not match leaves it."""
    path = globbed(tmp_path)
    tree = kpitree.load(path)
    before = fingerprint(path, tree)
    (tmp_path / "exports" / "notes.txt").write_text("not an export\n", encoding="utf-8")
    assert fingerprint(path, tree) == before
    (tmp_path / "exports" / "leads-2027-03.csv").write_text("created\n2027-03-02\n")
    added = fingerprint(path, tree)
    assert added != before
    (tmp_path / "exports" / "leads-2027-01.csv").unlink()
    assert fingerprint(path, tree) not in {before, added}


def test_database_sources_are_not_watched(tmp_path: Path) -> None:
    """A tree whose only source is a database has the version of its bytes and no sources."""
    path = tmp_path / "tree.yaml"
    path.write_text(
        "name: t\nkgi: leads\ntime: {periods: 3, unit: month, start: 2027-01}\n"
        "sources:\n  crm: {url: 'postgresql://localhost/crm', table: leads}\n"
        "nodes:\n  leads: {value: 1}\n",
        encoding="utf-8",
    )
    tree = kpitree.load(path)
    without = tmp_path / "plain.yaml"
    without.write_text("name: t\nkgi: leads\nnodes:\n  leads: {value: 1}\n", encoding="utf-8")
    assert fingerprint(path, tree).split("-")[1] == current(without).split("-")[1]
