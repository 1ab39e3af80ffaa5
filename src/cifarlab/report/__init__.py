"""The HTML report: a self-contained folder where every table and figure shows its provenance.

    from cifarlab.report import build_site, render_site
    site = build_site(tables_dir="results/tables",
                      figure_dirs={"data": "results/figures/data", "summary": "results/figures/summary",
                                   "explain": "results/figures/explain"},
                      runs_dir="results/runs", experiments={...}, profile={...}, provenance=record)
    render_site(site, "report")   # report/index.html, studies/<study>.html, experiments/<exp>.html

Torch-free: imports pandas, jinja2 and yaml only.
"""

from cifarlab.report.claims import CLAIMS_PATH, load_claims
from cifarlab.report.context import figure_entry, table_entry
from cifarlab.report.render import render_pages, render_site
from cifarlab.report.site import build_site

__all__ = ["CLAIMS_PATH", "build_site", "figure_entry", "load_claims", "render_pages", "render_site", "table_entry"]
