"""Dask workers: a real local cluster of worker processes gives the same numbers, to the last
bit, as one process; it is closed at the end; without Dask the options say how to get it."""

from __future__ import annotations

import builtins
import json
import multiprocessing

import pytest
from conftest import TREES

import kpitree
from kpitree.analysis.sweep import sweep
from kpitree.errors import DataError
from kpitree.parallel import DaskExecutor, LocalExecutor, portable, rebuilt

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """One local cluster of two worker processes for the module, closed afterwards."""
    with DaskExecutor(workers=2) as executor:
        yield executor
    assert multiprocessing.active_children() == []


def test_sweep_on_workers_is_bit_identical(cluster) -> None:
    """A sweep on two worker processes gives exactly the rows of the one-process sweep."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    grid = {"win_rate": (0.2, 0.25, 0.3), "sql_rate": (0.1, 0.12, 0.15)}
    here = sweep(tree, grid, samples=4096 + 17, seed=9, executor=LocalExecutor())
    there = sweep(tree, grid, samples=4096 + 17, seed=9, executor=cluster)
    assert there.rows == here.rows
    assert cluster.workers == 2


def test_cli_workers_gives_the_same_json(cli) -> None:
    """kpitree sweep --workers 2 prints the same JSON as without --workers, and leaves no
    worker process behind."""
    options = ["sweep", TREES / "saas_arr.yaml", "--grid", "win_rate=0.2:0.3:3", "--samples",
               "3000", "--seed", "4", "--format", "json"]  # fmt: skip
    before = set(multiprocessing.active_children())
    status, alone, _ = cli(*options)
    assert status == 0
    status, spread, _ = cli(*options, "--workers", "2")
    assert status == 0
    assert json.loads(spread) == json.loads(alone)
    assert set(multiprocessing.active_children()) <= before


def test_a_tree_travels_and_is_rebuilt_once() -> None:
    """portable() packs what the tree was built from; rebuilt() evaluates the same and caches
    the tree per process."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    key, data = portable(tree)
    copy = rebuilt(key, data)
    assert copy.evaluate().kgi_value == tree.evaluate().kgi_value
    assert rebuilt(key, data) is copy


def test_without_dask_the_message_says_how_to_install(monkeypatch, cli) -> None:
    """When Dask cannot be imported, --workers is exit 2 with the pip command."""
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith(("dask.", "distributed")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    status, out, err = cli("sweep", TREES / "saas_arr.yaml", "--grid", "win_rate=0.2:0.3:2",
                           "--workers", "2")  # fmt: skip
    assert (status, out) == (2, "")
    assert "pip install 'kpitree[dask]'" in err


def test_executor_needs_workers_or_a_scheduler() -> None:
    """DaskExecutor refuses neither or both of workers and scheduler, and 0 workers."""
    with pytest.raises(DataError, match="either"):
        DaskExecutor()
    with pytest.raises(DataError, match="whole number"):
        DaskExecutor(workers=0)


@pytest.mark.parametrize(
    "options",
    [
        {"samples": 3 * 4096 + 5, "chunk": 4096},
        {"samples": 2 * 4096, "chunk": 4096, "counts": "binomial", "by": "quarter"},
    ],
)
def test_forecast_on_workers_is_bit_identical(cluster, options) -> None:
    """A forecast whose chunks run on two worker processes equals the one-process forecast to
    the last bit: mean, sd, quantiles, P(target) and every path's last value."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    here = tree.forecast(seed=21, **options)
    there = tree.forecast(seed=21, executor=cluster, **options)
    assert there.mean.tobytes() == here.mean.tobytes()
    assert there.sd.tobytes() == here.sd.tobytes()
    for q in here.quantiles:
        assert there.quantiles[q].tobytes() == here.quantiles[q].tobytes()
    assert there.final.tobytes() == here.final.tobytes()
    assert there.p_target == here.p_target


def test_streaming_forecast_on_workers_is_bit_identical(cluster, monkeypatch) -> None:
    """When the paths do not fit in memory (two passes, a few chunks per worker at a time) the
    workers still give the one-process numbers."""
    import kpitree.analysis.forecast as forecast_module

    monkeypatch.setattr(forecast_module, "IN_MEMORY_BYTES", 1024)
    tree = kpitree.load(TREES / "saas_arr.yaml")
    here = tree.forecast(samples=5 * 4096, seed=3, chunk=4096)
    there = tree.forecast(samples=5 * 4096, seed=3, chunk=4096, executor=cluster)
    assert there.sd.tobytes() == here.sd.tobytes()
    assert there.quantiles[50].tobytes() == here.quantiles[50].tobytes()


def test_sobol_on_workers_is_bit_identical(cluster, monkeypatch) -> None:
    """Sobol indices whose design steps run on two workers (each fast-forwarding the scrambled
    sequence to its step) equal the one-process indices to the last bit."""
    import kpitree.analysis.sobol as sobol_module

    monkeypatch.setattr(sobol_module, "CHUNK", 4096)  # several steps at a small N
    tree = kpitree.load(TREES / "saas_arr.yaml")
    here = tree.sobol(samples=2048, seed=8)
    there = tree.sobol(samples=2048, seed=8, executor=cluster)
    for field in ("S1", "ST", "S1_conf", "ST_conf"):
        assert getattr(there, field).tobytes() == getattr(here, field).tobytes()


def test_sobol_cli_refuses_workers_with_shapley(cli) -> None:
    """--shapley with --workers is a usage error (exit 2), not silently one process."""
    status, out, err = cli("sobol", TREES / "saas_arr.yaml", "--shapley", "--workers", "2")
    assert (status, out) == (2, "")
    assert "--shapley" in err


def test_scheduler_address_runs_on_that_cluster(cluster, cli) -> None:
    """--scheduler ADDRESS runs on the given running cluster, with the one-process numbers."""
    address = cluster._client.scheduler.address
    options = ["sweep", TREES / "saas_arr.yaml", "--grid", "sql_rate=0.1:0.15:3", "--samples",
               "2000", "--seed", "6", "--format", "json"]  # fmt: skip
    status, alone, _ = cli(*options)
    assert status == 0
    status, there, err = cli(*options, "--scheduler", address)
    assert (status, err) == (0, "")
    assert json.loads(there) == json.loads(alone)
    assert cluster._client.status == "running"  # ours is left running: only closed by us


def test_unreachable_scheduler_is_exit_2(cli) -> None:
    """A scheduler address where nothing listens is one line and exit 2, not a traceback."""
    status, out, err = cli("forecast", TREES / "saas_arr.yaml", "--scheduler",
                           "tcp://127.0.0.1:9", "--samples", "100")  # fmt: skip
    assert (status, out) == (2, "")
    assert "cannot reach the Dask scheduler" in err
    assert "Traceback" not in err
