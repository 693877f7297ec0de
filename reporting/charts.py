"""Server-rendered SVG charts (pygal, no JavaScript), drawn from a run's stored result table."""

from __future__ import annotations

import re
from decimal import Decimal

# pygal is imported when a chart is drawn, not at start-up: importing it installs a module finder
# (for its plugins) that breaks other importers, such as pytest's, that load modules afterwards.
STYLE_OPTIONS = {
    "font_family": "arial, sans-serif",
    "background": "#ffffff",
    "plot_background": "#ffffff",
    "foreground": "#0b0c0c",
    "foreground_strong": "#0b0c0c",
    "foreground_subtle": "#505a5f",
    "colors": ("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#505a5f", "#b58840", "#28a197"),
    "title_font_size": 18,
    "label_font_size": 14,
    "major_label_font_size": 14,
    "legend_font_size": 14,
    "value_font_size": 12,
}


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    return float(Decimal(str(value)))


def _formatter(series: set, money: set, shares: set):
    if series <= money:
        return lambda v: f"£{v:,.0f}"
    if series <= shares:
        return lambda v: f"{v:,.1f}%"
    return lambda v: f"{v:,.0f}"


def chart_svg(chart: dict, table: dict) -> bytes:
    """The chart as an SVG document with a <title> and <desc> for assistive technology."""
    import pygal
    from pygal.style import Style

    kinds = {"bar": pygal.Bar, "line": pygal.Line, "stacked": pygal.StackedBar}
    labels = {c["key"]: c["label"] for c in table["columns"]}
    money = {c["key"] for c in table["columns"] if c["kind"] == "money"}
    shares = {c["key"] for c in table["columns"] if c["kind"] in ("share", "percent")}
    drawing = kinds.get(chart["kind"], pygal.Bar)(
        style=Style(**STYLE_OPTIONS),
        width=900,
        height=420,
        js=[],  # no scripts: the chart is a picture; the figures are in the table beside it
        disable_xml_declaration=True,
        x_label_rotation=30 if len(table["rows"]) > 6 else 0,
        legend_at_bottom=True,
        print_values=False,
        show_y_guides=True,
        value_formatter=_formatter(set(chart["series"]), money, shares),
        allow_interruptions=True,  # a line breaks where a figure is missing ("not reported"), never bridges it
    )
    drawing.title = chart["title"]
    drawing.x_labels = [str(row.get(chart["x"], "")) for row in table["rows"]]
    for key in chart["series"]:
        drawing.add(labels.get(key, key), [_number(row.get(key)) for row in table["rows"]])
    # pygal always embeds a configuration script for its optional tooltips: the picture needs none.
    svg = re.sub(r"<script\b.*?</script>", "", drawing.render(is_unicode=True), flags=re.S)
    description = f"<title>{_escape(chart['title'])}</title><desc>{_escape(chart['description'])}</desc>"
    svg = svg.replace(">", f' role="img" aria-label="{_escape(chart["title"])}">' + description, 1)
    return svg.encode()


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
