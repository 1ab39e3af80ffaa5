"""The HTML report: one self-contained page where every table and figure shows its provenance.

    from cifarlab.report import build_report_context, render_report
    ctx = build_report_context(tables_dir="results/tables",
                               figure_dirs={"Data": "results/figures/data",
                                            "Summary": "results/figures/summary"},
                               runs_dir="results/runs", profile={...}, provenance=record)
    cifarlab.io.write_text("report/index.html", render_report(ctx))

Torch-free: imports pandas, jinja2 and yaml only.
"""

from cifarlab.report.claims import CLAIMS_PATH, load_claims
from cifarlab.report.context import build_report_context, figure_entry, png_data_uri, table_entry
from cifarlab.report.render import render_report

__all__ = [
    "CLAIMS_PATH", "build_report_context", "figure_entry", "load_claims", "png_data_uri", "render_report",
    "table_entry",
]
