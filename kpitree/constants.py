"""Constant parts of formulas, computed by the parser before sympy sees them.

sympy computes constants exactly: ``0.5 ** 1e10`` as a rational of billions of digits,
``floor(exp(exp(20)))`` by finding the integer part of a huge number. Either runs for ever.
Here a constant is a :class:`fractions.Fraction`, computed exactly while that is cheap and
rounded to the nearest float when its digits would grow; a power, ``exp``, ``log`` and
``sqrt`` go through floating point with their range checked first. Anything with no finite
real value (``1/0``, ``log(0)``, ``sqrt(-1)``, beyond a float's 1.8e308) is refused with a
:class:`~kpitree.errors.FormulaError`.

Whatever reaches sympy is an ``Integer`` or ``Rational`` when numerator and denominator are
small (so ``0.1`` stays one tenth for exact work) and a ``Float`` otherwise (so ``1e20`` is a
float, never a Python integer, in the compiled code).
"""

from __future__ import annotations

import math
import sys
from decimal import Context, Decimal
from fractions import Fraction

import sympy

from kpitree.errors import FormulaError
from kpitree.excerpt import excerpt

FLOAT_MAX = Fraction(sys.float_info.max)
_LOG10_FLOAT_MAX = math.log10(sys.float_info.max)
_EXACT_BELOW = 10**15
"""Numerators and denominators below this stay exact in sympy; beyond, a Float."""
_EXACT_BITS = 4_096
"""A constant whose numerator and denominator together need more bits is rounded to a float,
so a long product of constants cannot grow without bound."""
_EXACT_POWER_BITS = 20_000
"""An integer power computed exactly only while the result needs at most this many bits."""

OUT_OF_RANGE = "is out of range (at most about 1.8e308, a float's limit)"
INFINITE = "is infinite (a division by zero, or log(0))"
NOT_REAL = "is not a real number (a root or log of a negative number)"


def constant_error(shown: str, problem: str) -> FormulaError:
    """The error for a constant part ``shown`` (source text or value) with ``problem``."""
    return FormulaError(f"the constant part '{excerpt(shown, 40)}' {problem}")


def settle(value: Fraction) -> Fraction:
    """Check ``value`` is within a float's range; round it to a float when its digits grow."""
    if abs(value) > FLOAT_MAX:
        raise constant_error(scientific(value), OUT_OF_RANGE)
    if value.numerator.bit_length() + value.denominator.bit_length() > _EXACT_BITS:
        return Fraction(float(value))
    return value


def to_sympy(value: Fraction) -> sympy.Number:
    """``value`` as a sympy number: exact when small, else the nearest Float."""
    if abs(value.numerator) < _EXACT_BELOW and value.denominator < _EXACT_BELOW:
        return sympy.Rational(value.numerator, value.denominator)
    # 17 significant digits print a double exactly: sympy's default of 15 would round
    # 12345678901234567890123 in the compiled code's text.
    return sympy.Float(float(value), 17)


def literal(text: str) -> Fraction:
    """The value of a number as written (already checked to be a decimal of bounded size)."""
    return settle(Fraction(text.replace("_", "")))


def divide(numerator: Fraction, denominator: Fraction) -> Fraction:
    """``numerator / denominator``, refusing a division by zero."""
    if denominator == 0:
        raise constant_error("nan" if numerator == 0 else "1/0", _division_problem(numerator))
    return settle(numerator / denominator)


def _division_problem(numerator: Fraction) -> str:
    return "is undefined (0/0 or the like)" if numerator == 0 else INFINITE


def power(base: Fraction, exponent: Fraction, shown: str, column: int) -> Fraction:
    """``base ** exponent`` as a finite real, or a FormulaError; never an exact bignum race.

    ``shown`` (``10**10000000000``) and ``column`` say which power in the message.
    """
    if base == 0:
        if exponent < 0:
            raise constant_error("1/0", INFINITE)
        return Fraction(1) if exponent == 0 else Fraction(0)
    if base == 1 or exponent == 0:
        return Fraction(1)
    where = f"the constant {shown} at column {column}"
    if base < 0 and exponent.denominator != 1:
        raise FormulaError(f"{where} {NOT_REAL}")
    magnitude = float(exponent) * _log10(abs(base))
    if magnitude > _LOG10_FLOAT_MAX:
        raise FormulaError(
            f"{where} is out of range (about {_power_of_ten(magnitude)}; at most about 1.8e308, "
            "a float's limit)"
        )
    if magnitude < -400:  # far below the smallest float: zero, as numpy would compute it
        return Fraction(0)
    bits = (base.numerator.bit_length() + base.denominator.bit_length()) * abs(exponent)
    if exponent.denominator == 1 and bits <= _EXACT_POWER_BITS:
        return settle(base**exponent.numerator)
    try:
        return settle(Fraction(_float_power(base, exponent)))
    except OverflowError:  # the magnitude test is approximate at the very edge
        raise FormulaError(f"{where} {OUT_OF_RANGE}") from None


def _power_of_ten(magnitude: float) -> str:
    return f"1e{magnitude:.0f}" if magnitude < 1e15 else f"10^({magnitude:.3g})"


def _float_power(base: Fraction, exponent: Fraction) -> float:
    if abs(base - 1) < Fraction(1, 2):
        # Rounding 1.0000001 to a float errs by 1e-16, which a power of 1e9 would magnify to
        # 1e-7; base - 1 is exact, and log1p of it keeps full precision.
        return math.exp(float(exponent) * math.log1p(float(base - 1)))
    return math.pow(float(base), float(exponent))


def function(name: str, value: Fraction, shown: str) -> Fraction:
    """One of the formula functions of one argument applied to a constant."""
    if name == "abs":
        return abs(value)
    if name == "floor":
        return Fraction(math.floor(value))
    if name == "ceil":
        return Fraction(math.ceil(value))
    if name == "exp":
        if float(value) / math.log(10) > _LOG10_FLOAT_MAX:
            raise constant_error(shown, OUT_OF_RANGE)
        return settle(Fraction(math.exp(float(value))))
    if name == "log":
        if value == 0:
            raise constant_error("1/0", INFINITE)
        if value < 0:
            raise constant_error(shown, NOT_REAL)
        return settle(Fraction(math.log(value.numerator) - math.log(value.denominator)))
    if name == "sqrt":
        if value < 0:
            raise constant_error(shown, NOT_REAL)
        top, bottom = math.isqrt(value.numerator), math.isqrt(value.denominator)
        if top * top == value.numerator and bottom * bottom == value.denominator:
            return Fraction(top, bottom)
        return settle(Fraction(math.sqrt(value)))
    if name in ("sin", "cos"):
        return settle(Fraction((math.sin if name == "sin" else math.cos)(float(value))))
    raise ValueError(f"not a function of one constant: {name}")  # a bug here, not bad input


def _log10(value: Fraction) -> float:
    # math.log10 takes integers of any size, where float(value) would overflow.
    return math.log10(value.numerator) - math.log10(value.denominator)


def scientific(value: Fraction) -> str:
    """``1.00e+600``: three significant digits of a value no float can hold."""
    context = Context(prec=3)
    quotient = context.divide(Decimal(value.numerator), Decimal(value.denominator))
    return f"{quotient:.2e}"
