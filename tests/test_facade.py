"""The facade above the analyses: one direction of imports, explicit signatures, the package's
public names."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import kpitree
from kpitree.facade import Tree
from kpitree.tree import TreeModel

ROOT = Path(__file__).resolve().parent.parent
TREES = ROOT / "trees"
ABOVE_THE_MODEL = ("kpitree.analysis", "kpitree.present", "kpitree.report", "kpitree.plots",
                   "kpitree.cli", "kpitree.facade", "kpitree.xlsx")  # fmt: skip
# The result contract's one way out: a result shows itself (summary(), _repr_html_()), the
# model's Evaluation too, through kpitree.render, which names each layout by text and so
# imports nothing of the model back. The scan does not follow this edge; nothing else may
# leave the model.
ALLOWED_EDGES = {("kpitree.results", "kpitree.render")}


def _module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    if path.with_suffix(".py").exists():
        return path.with_suffix(".py")
    return None


def imports_of(name: str) -> set[str]:
    """Every kpitree module ``name`` imports anywhere: at the top, inside functions and under
    ``TYPE_CHECKING`` (an import deferred into a function is still an edge)."""
    path = _module_file(name)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if _module_file(sub) is not None else module)
    return {module for module in found if module.startswith("kpitree.")}


def reachable(start: str) -> set[str]:
    """The kpitree modules ``start`` reaches through imports of any kind."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or _module_file(name) is None:
            continue
        seen.add(name)
        todo.extend(m for m in imports_of(name) if (name, m) not in ALLOWED_EDGES)
    return seen


@pytest.mark.parametrize("start", ["kpitree.tree", "kpitree.node", "kpitree.spec", "kpitree.errors",
                                   "kpitree.evaluation", "kpitree.engine"])  # fmt: skip
def test_model_modules_never_reach_an_analysis(start: str) -> None:
    """The model and the modules it imports, even inside functions or for typing only, import
    no analysis, presentation, report, plot, CLI or the facade."""
    above = sorted(m for m in reachable(start) if m.startswith(ABOVE_THE_MODEL))
    assert above == []


def test_the_renderer_leads_nowhere_back() -> None:
    """The one allowed edge out of the model closes no circle: kpitree.render, and what it
    imports at any level, reach neither the results contract nor the tree, its evaluation,
    engine or reader (only the plain Node definitions below them)."""
    back = {"kpitree.results", "kpitree.tree", "kpitree.evaluation", "kpitree.engine"}
    reached = reachable("kpitree.render")
    assert not (reached & back)
    assert not any(m.startswith("kpitree.spec") for m in reached)


def test_import_scan_sees_imports_inside_functions() -> None:
    """The scan used above finds an import hidden in a method body (the facade does it)."""
    assert "kpitree.analysis.sensitivity" in imports_of("kpitree.facade")


def test_no_analysis_imports_the_facade() -> None:
    """Analyses take the model: no module under kpitree/analysis imports the facade."""
    importers = sorted(
        f"kpitree.analysis.{path.stem}"
        for path in (ROOT / "kpitree" / "analysis").glob("*.py")
        if "kpitree.facade" in imports_of(f"kpitree.analysis.{path.stem}")
    )
    assert importers == []


# The analysis function behind each facade method; the method takes the same parameters with
# the same defaults after `tree`, so help(tree.forecast) shows what forecast accepts.
METHODS = {
    "sensitivity": ("kpitree.analysis.sensitivity", "sensitivity"),
    "tornado": ("kpitree.analysis.tornado", "tornado"),
    "bottlenecks": ("kpitree.analysis.bottleneck", "bottlenecks"),
    "solve": ("kpitree.analysis.solve", "solve"),
    "forecast": ("kpitree.analysis.forecast", "forecast"),
    "sobol": ("kpitree.analysis.sobol", "sobol"),
    "shapley": ("kpitree.analysis.shapley", "shapley"),
    "compare": ("kpitree.analysis.compare", "compare"),
    "measure": ("kpitree.measurement", "measure"),
}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_facade_method_has_the_analysis_signature(method: str) -> None:
    """Each facade method lists the analysis function's parameters, kinds and defaults (no
    **options), so an option added to an analysis must be added to the method too."""
    import importlib

    module, function = METHODS[method]
    analysis = inspect.signature(getattr(importlib.import_module(module), function))
    facade = inspect.signature(getattr(Tree, method))

    def shape(signature: inspect.Signature) -> list[tuple[str, object, object]]:
        return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]

    assert shape(facade) == shape(analysis)
    assert all(p.kind is not p.VAR_KEYWORD for p in facade.parameters.values())


def test_load_returns_the_facade_and_methods_run() -> None:
    """kpitree.load gives the facade (a model too) whose methods call the analyses."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    assert type(tree) is kpitree.Tree
    assert isinstance(tree, TreeModel)
    ranking = tree.sensitivity().to_frame()
    assert set(ranking.index) <= set(tree.inputs)
    assert kpitree.loads((TREES / "nrr.yaml").read_text(), "nrr.yaml").name == "nrr"


def test_a_model_built_in_python_runs_the_analyses_as_functions() -> None:
    """The analyses accept a bare model: the facade is a convenience, not a requirement."""
    from kpitree.analysis.sensitivity import sensitivity
    from kpitree.node import Node

    model = TreeModel("m", "y", [Node("a", value=2.0), Node("b", value=3.0),
                                 Node("y", formula="a * b")])  # fmt: skip
    assert model.evaluate().kgi_value == 6.0
    result = sensitivity(model)
    assert result.to_frame().loc["a", "derivative"] == pytest.approx(3.0)


def test_import_kpitree_exposes_report_and_plots() -> None:
    """After `import kpitree` alone, kpitree.report.build_report and
    kpitree.plots.tree_diagram.plot_tree resolve, as the README writes them."""
    code = (
        "import kpitree\n"
        "assert callable(kpitree.report.build_report)\n"
        "assert callable(kpitree.plots.tree_diagram.plot_tree)\n"
        "assert callable(kpitree.analysis.sampling.truncations)\n"
        "assert 'report' in dir(kpitree)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr


def test_py_typed_ships() -> None:
    """The package carries py.typed, so type checkers read its annotations."""
    assert (ROOT / "kpitree" / "py.typed").is_file()


def test_ci_runs_mypy_strict_on_the_public_api() -> None:
    """.ci/run runs mypy, and pyproject checks the public modules with --strict's flags."""
    import tomllib

    assert ".venv/bin/python -m mypy" in (ROOT / ".ci" / "run").read_text()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["packages"] == ["kpitree"]
    strict = next(o for o in config["overrides"] if "kpitree.facade" in o["module"])
    assert {"kpitree", "kpitree.tree", "kpitree.errors", "kpitree.node"} <= set(strict["module"])
    assert strict["disallow_untyped_defs"]
    assert strict["no_implicit_reexport"]
