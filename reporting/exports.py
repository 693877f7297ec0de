"""Turn a run's stored result into downloads: CSV (one table), XLSX (every table), PDF (a summary)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.downloads import safe_cell

from .definitions import NOT_REPORTED

MONEY_FORMAT = '"£"#,##0.00'
PERCENT_FORMAT = '0.0"%"'
NUMBER_FORMAT = "0.0"
FORMATS = {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT, "share": PERCENT_FORMAT, "number": NUMBER_FORMAT}


def empty_text(column: dict) -> str:
    """What a cell shows for a missing value: "Not reported" for a figure (never blank, never 0), nothing for text.

    Results stored before columns said so themselves follow the same rule by kind.
    """
    if "empty" in column and column["empty"] is not None:
        return column["empty"]
    return "" if column["kind"] == "text" else NOT_REPORTED


def _typed(value, column: dict):
    """The cell value for a spreadsheet: figures as numbers, a missing figure as its words ("Not reported")."""
    kind = column["kind"]
    if value is None or value == "":
        return empty_text(column) or None
    if kind in ("money", "percent", "share", "number"):
        return Decimal(str(value))
    if kind == "int":
        return int(value)
    return value


def _csv_cell(value, column: dict):
    if value is None or value == "":
        return empty_text(column)
    return safe_cell(value)


def table_csv(table: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column["label"] for column in table["columns"]])
    for row in table["rows"]:
        writer.writerow([_csv_cell(row.get(c["key"]), c) for c in table["columns"]])
    if table.get("footer"):
        writer.writerow(
            ["" if table["footer"].get(c["key"]) is None else table["footer"].get(c["key"]) for c in table["columns"]]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


def result_xlsx(result: dict, *, title: str, described_params: list[tuple[str, str]]) -> bytes:
    workbook = Workbook()
    about = workbook.active
    about.title = "About"
    about.append([title])
    about["A1"].font = Font(bold=True, size=14)
    for label, value in described_params:
        about.append([label, value])
    for note in result.get("notes", []):
        about.append([note])
    for table in result["tables"]:
        sheet = workbook.create_sheet(title=table["title"][:31].replace("/", "-").replace(":", " "))
        sheet.append([column["label"] for column in table["columns"]])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        rows = list(table["rows"]) + ([table["footer"]] if table.get("footer") else [])
        for row in rows:
            sheet.append(
                [
                    _typed(row.get(c["key"]), c) if c["kind"] != "text" else safe_cell(row.get(c["key"]))
                    for c in table["columns"]
                ]
            )
        for index, column in enumerate(table["columns"], start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, min(50, len(column["label"]) + 4))
            if column["kind"] in FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = FORMATS[column["kind"]]
        for note in table.get("notes", []):
            sheet.append([])
            sheet.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def result_pdf(result: dict, *, title: str, described_params: list[tuple[str, str]], run) -> bytes:
    """A tagged PDF summary (WeasyPrint) of the run's tables."""
    from weasyprint import HTML

    html = render_to_string(
        "reporting/report_pdf.html",
        {"result": result, "title": title, "params": described_params, "run": run},
    )
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
