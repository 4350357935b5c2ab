"""Unit checking for activities, emission factors and costs, with the ``pint`` library.

Every factor is applied through :func:`tonnes_per_activity`, which multiplies one unit of the
source's activity by the factor's unit and asks pint for tonnes: a factor in kg/t applied to an
activity in GJ has no mass dimension and is refused with the row named. Non-SI activity units
the inventory needs are defined here: ``vkm`` (vehicle-kilometre) and ``person``.
"""

from __future__ import annotations

from functools import cache

import pint

UREG = pint.UnitRegistry()
# Vehicle-km is its own dimension: a g/km factor must never be applied to plain kilometres of road.
UREG.define("vkm = [vehicle_distance] = vehicle_km")
UREG.define("person = [population] = persons = capita")


class UnitMismatchError(ValueError):
    """A factor or cost unit cannot be combined with a source's activity unit."""


@cache
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string; raise ValueError (with the text) if pint does not know it."""
    try:
        return UREG.Unit(text.strip())
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError) as error:
        raise ValueError(f"unknown unit {text!r}") from error


@cache
def _tonnes_per_activity(factor_unit: str, activity_unit: str, ratio_unit: str) -> float:
    quantity = UREG.Quantity(1.0, parse_unit(activity_unit)) * UREG.Quantity(
        1.0, parse_unit(ratio_unit)
    )
    quantity = quantity * UREG.Quantity(1.0, parse_unit(factor_unit))
    return float(quantity.to("t").magnitude)


def tonnes_per_activity(
    factor_unit: str, activity_unit: str, where: str, ratio_unit: str = ""
) -> float:
    """Tonnes emitted by one ``activity_unit`` with a factor of 1 ``factor_unit``.

    ``ratio_unit`` (e.g. ``"kWh/vkm"``) converts the activity first, for replacement activities.
    Raises UnitMismatchError naming ``where`` when the result is not a mass.
    """
    try:
        return _tonnes_per_activity(factor_unit, activity_unit, ratio_unit or "dimensionless")
    except pint.errors.DimensionalityError as error:
        chain = (
            f"{activity_unit} x {ratio_unit} x {factor_unit}"
            if ratio_unit
            else f"{activity_unit} x {factor_unit}"
        )
        raise UnitMismatchError(
            f"{where}: factor unit {factor_unit!r} cannot be applied to activity in "
            f"{activity_unit!r} "
            f"({chain} is not a mass)"
        ) from error
    except ValueError as error:
        raise UnitMismatchError(f"{where}: {error}") from error


@cache
def _conversion(from_unit: str, to_unit: str) -> float:
    return float(UREG.Quantity(1.0, parse_unit(from_unit)).to(parse_unit(to_unit)).magnitude)


def conversion(from_unit: str, to_unit: str, where: str) -> float:
    """How many ``to_unit`` make one ``from_unit``; a mismatch raises naming ``where``."""
    try:
        return _conversion(from_unit, to_unit)
    except pint.errors.DimensionalityError as error:
        raise UnitMismatchError(
            f"{where}: {from_unit!r} cannot be converted to {to_unit!r}"
        ) from error
    except ValueError as error:
        raise UnitMismatchError(f"{where}: {error}") from error


def per_unit_conversion(value_per: str, activity_unit: str, where: str) -> float:
    """Scale for a quantity given per ``value_per`` (e.g. CNY per TJ) to per ``activity_unit``.

    Example: a cost of 1 CNY/TJ is 0.001 CNY per GJ of activity, so ("TJ", "GJ") gives 0.001.
    """
    return conversion(activity_unit, value_per, where)


def is_known_unit(text: str) -> bool:
    """True if pint can parse ``text``."""
    try:
        parse_unit(text)
    except ValueError:
        return False
    return True
