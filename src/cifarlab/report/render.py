"""Site dict -> the report folder: HTML pages (Jinja2, autoescaped), the CSS, the images.

The folder is self-contained: pages link each other and their images by relative paths,
so it opens from file:// and can be zipped and sent. Images are copied as files (no data
URIs), which keeps every page light.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

import jinja2
import markupsafe

from cifarlab.io import atomic_path
from cifarlab.report.context import slug
from cifarlab.report.scorecard_page import scorecard_tables

TEMPLATES_DIR = Path(__file__).with_name("templates")
CSS = "report.css"


def _seeds(prov: Mapping[str, Any]) -> str:
    """The seeds a record names (its params' ``seed`` values, extra ``seeds``), else a dash."""
    found = set((prov.get("extra") or {}).get("seeds") or [])
    for value in (prov.get("params") or {}).values():
        if isinstance(value, Mapping) and "seed" in value:
            found.add(value["seed"])
        if isinstance(value, Mapping):
            found |= {v["seed"] for v in value.values() if isinstance(v, Mapping) and "seed" in v}
    return ", ".join(map(str, sorted(found, key=str))) or "—"


def breakable(text: Any) -> markupsafe.Markup:
    """``text`` escaped, with a line-break opportunity after each underscore: a header such
    as latency_ms_per_image_b1 may wrap instead of widening its column."""
    return markupsafe.Markup("_<wbr>").join(markupsafe.escape(part) for part in str(text).split("_"))


def environment() -> jinja2.Environment:
    """The templates' environment: autoescape on, a missing context key is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value is escaped unless a template marks it safe (none does)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty_json"] = lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    env.filters["short"] = lambda v, n=12: (str(v)[:n] if v else "unknown")
    env.filters["slug"] = slug
    env.filters["seeds"] = _seeds
    env.filters["breakable"] = breakable
    return env


def check(site: Mapping[str, Any]) -> None:
    """Every table and figure must carry a 'provenance' key (None renders as a warning)."""
    items = list(site["tables"]) + scorecard_tables(site.get("scorecard"))
    for page in list(site["studies"]) + list(site["experiments"]):
        items += list(page["tables"]) + list(page.get("next_steps", [])) + list(page["figures"])
    for item in items:
        if "provenance" not in item:
            raise ValueError(f"report item {item.get('title', '?')!r} has no 'provenance' key")


def render_pages(site: Mapping[str, Any]) -> dict[str, str]:
    """Relative path -> HTML of every page (index.html, studies/*.html, experiments/*.html)."""
    check(site)
    env = environment()
    common = {k: site[k] for k in ("title", "banner", "studies")}
    pages = {"index.html": env.get_template("index.html.j2").render(root="", **site)}
    for page in site["studies"]:
        pages[page["file"]] = env.get_template("study.html.j2").render(root="../", page=page, **common)
    for page in site["experiments"]:
        pages[page["file"]] = env.get_template("experiment.html.j2").render(root="../", page=page, **common)
    return pages


def render_site(site: Mapping[str, Any], out_dir: str | os.PathLike) -> Path:
    """Write the report folder atomically (a failure leaves the previous one, or none)."""
    pages = render_pages(site)
    out = Path(out_dir)
    with atomic_path(out) as stage:
        (stage / "assets").mkdir(parents=True)
        shutil.copy2(TEMPLATES_DIR / CSS, stage / "assets" / CSS)
        for fig in site["figures"]:
            target = stage / fig["href"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(fig["file"], target)
        for rel, html in pages.items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            (stage / rel).write_text(html)
    return out
