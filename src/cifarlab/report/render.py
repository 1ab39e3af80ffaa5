"""Context dict -> one self-contained HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import jinja2

TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATE = "report.html.j2"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value is escaped unless a template marks it safe (none does)
        undefined=jinja2.StrictUndefined,  # a missing context key is an error, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty_json"] = lambda v: json.dumps(
        v, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    env.filters["short"] = lambda v, n=12: (str(v)[:n] if v else "unknown")
    return env


def _check(context: Mapping[str, Any]) -> None:
    """Every table and figure must carry a 'provenance' key (None renders as a warning)."""
    items = list(context["tables"])
    items += [f for s in context["figure_sections"] for f in s["figures"]]
    for exp in context["experiments"]:
        items += list(exp["tables"]) + list(exp["figures"])
    for item in items:
        if "provenance" not in item:
            raise ValueError(f"report item {item.get('title', '?')!r} has no 'provenance' key")


def render_report(context: Mapping[str, Any]) -> str:
    """The report as one HTML string: figures inline as data URIs, no external resources.

    ``context`` is what :func:`build_report_context` returns: title, generated_utc,
    summary [(label, value)], notices [str], tables [table], figure_sections [{title, id,
    figures}], experiments [{name, id, tables, figures}], provenance (report step's or None).
    A table is {id, title, caption, columns, rows, row_classes, provenance, source,
    collapsed}; a figure {id, title, caption, data_uri, provenance, source}. Each gets a
    collapsible provenance block. All text is HTML-escaped.
    """
    _check(context)
    return _environment().get_template(TEMPLATE).render(**context)
