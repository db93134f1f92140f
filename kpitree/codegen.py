"""Many numpy functions compiled at once from printed expressions.

``sympy.lambdify`` builds a namespace, sorts the arguments, prints, compiles and executes once
per function: for a tree of thousands of formulas that overhead, not the printing, is most of
the first evaluation. Here the engine's printer prints every formula and this module compiles
them all with one ``compile()`` call into one namespace, lambdify's own for numpy, so each
function is the one lambdify would have made.

The source is built only from what the printer emits for a checked sympy expression (argument
names ``_x0, _x1, ...``, float literals, numpy function names): never from text in a tree file.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any


@functools.cache
def _numpy_namespace() -> dict[str, Any]:
    """The globals lambdify gives a numpy function (numpy's names, sympy's translations,
    ``builtins`` and ``range``), taken from a function it made."""
    import sympy

    return dict(sympy.lambdify([], sympy.Float(0), modules="numpy").__globals__)


def compile_functions(
    bodies: Sequence[tuple[int, str]], imports: Mapping[str, Collection[str]]
) -> list[Callable[..., Any]]:
    """Compile functions ``f(_x0, ..., _x{n-1})`` that return the printed expressions.

    Parameters
    ----------
    bodies : sequence of (int, str)
        Per function, its number of arguments and the expression it returns, as the printer
        wrote it over the argument names ``_x0, _x1, ...``.
    imports : mapping of str to collection of str
        The printer's ``module_imports``: module -> names its output uses (``numpy`` ->
        ``minimum``); those not already in the namespace are imported into it.

    Returns
    -------
    list of callable
        One function per body, in order, all sharing one namespace.
    """
    namespace = dict(_numpy_namespace())
    for module, names in imports.items():
        for name in sorted(names):
            if name not in namespace:
                namespace[name] = getattr(importlib.import_module(module), name)
    lines = []
    for index, (arity, body) in enumerate(bodies):
        arguments = ", ".join(f"_x{position}" for position in range(arity))
        lines.append(f"def _f{index}({arguments}):")
        # A body of several lines is wrapped as lambdify wraps it.
        lines.append(f"    return ({body})" if "\n" in body else f"    return {body}")
    code = compile("\n".join(lines) + "\n", "<kpitree formulas>", "exec")
    functions: dict[str, Any] = {}
    # Printer output over generated names, as lambdify executes it: no text from a tree.
    exec(code, namespace, functions)
    return [functions[f"_f{index}"] for index in range(len(bodies))]
