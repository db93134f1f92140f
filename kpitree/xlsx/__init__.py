"""The tree as an Excel workbook whose derived cells are live formulas (``kpitree export``)."""

from kpitree.xlsx.formula import excel_formula
from kpitree.xlsx.workbook import build_workbook, workbook_bytes

__all__ = ["build_workbook", "excel_formula", "workbook_bytes"]
