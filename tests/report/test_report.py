"""The report folder: pages per study and experiment, images as files, provenance on every
item, values escaped, quick-profile label on every page."""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest

from cifarlab.provenance import sidecar_path
from cifarlab.report import build_site, render_pages, render_site
from tests.report.site_fixture import EVIL, build_tree


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    return root, build_tree(root)


@pytest.fixture(scope="module")
def report(tree, tmp_path_factory):
    root, kwargs = tree
    site = build_site(**kwargs)
    return site, render_site(site, root / "report")


def _pages(out):
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")}


def test_one_page_per_study_and_experiment_with_relative_links(report):
    site, out = report
    pages = _pages(out)
    assert {"index.html", "studies/overview.html", "studies/s000.html", "studies/s001.html", "studies/s004.html",
            "experiments/cnn4.html", "experiments/efficientnet_b2.html", "experiments/wrn_16_8.html"} == set(pages)
    for rel, html in pages.items():
        for link in re.findall(r'(?:src|href)="([^"]+)"', html):
            if link.startswith("#"):  # a link within the page: its target exists
                assert f'id="{link[1:]}"' in html, f"{rel}: dead {link}"
                continue
            assert not re.match(r"^(https?:|//|/|data:)", link), f"{rel}: {link}"
            assert (out / rel).parent.joinpath(link.split("#")[0]).resolve().is_file(), f"{rel}: dead {link}"
    assert "data:image" not in "".join(pages.values())
    assert "<th>top1_<wbr>std (%)</th>" in pages["index.html"]  # the spread over seeds, in points like top-1
    assert len(pages["index.html"]) < 100_000  # images are files: the index stays light


def test_study_page_follows_the_document(report):
    site, out = report
    s004 = next(s for s in site["studies"] if s["study"] == "s004")
    titles = [f["title"] for f in s004["figures"]]
    assert titles == ["s004 Figure 1.7 (model table as a figure)", "s004 Figure 2.1", "s004 Figure 2.3",
                      "s004 Figure 2.4 (confusion matrix)", "s004 Figure 2.4 (top-10 confused pairs)",
                      "s004 Figure 2.5 (gradcam_visualization.png)"]
    assert any("s004 Figure 1.4" in m for m in s004["missing"])  # the dla34 grid did not run: said so
    s000 = (out / "studies" / "s000.html").read_text()
    assert s000.index("s000 Table 1") < s000.index("s000 Figure 2.2") < s000.index("s000 Figure 3.5")
    assert "figures/data/augment__s000_adamw.png" in s000  # cnn4's recipe's preview
    assert 'href="../experiments/s000_adamw.html"' not in s000  # a recipe is no experiment page
    assert "&lt;img src=x onerror=alert(1)&gt;" in s000  # a table cell, escaped
    assert "<td>0.90</td>" in s000  # a document table keeps its own units (no % scaling)


def test_every_item_has_provenance_and_every_page_says_quick(report):
    site, out = report
    items = list(site["tables"])
    for page in site["studies"] + site["experiments"]:
        items += page["tables"] + page["figures"]
    assert items and all(i["provenance"] for i in items)
    for rel, html in _pages(out).items():
        n_items = html.count('class="table-block"') + html.count('class="figure-block"')
        assert html.count('<details class="prov">') == n_items + (rel == "index.html"), rel
        assert "Quick profile" in html and "not a reproduction" in html, rel
    for block in re.split(r'class="(?:table|figure)-block"', (out / "studies/s004.html").read_text())[1:]:
        assert re.search(r'rule <code class="rule">\w+</code>.*params <code class="params-hash">[0-9a-f]{16}', block)
        assert "md5" in block and "workflow/scripts/" in block


def test_values_are_escaped(report):
    _, out = report
    html = (out / "experiments/efficientnet_b2.html").read_text()
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;bag&lt;/b&gt;" in html and "trouser &amp; co" in html
    assert "<script" not in "".join(_pages(out).values())


def test_folder_zips_and_images_are_copied(report, tmp_path):
    site, out = report
    for fig in site["figures"]:
        assert (out / fig["href"]).read_bytes() == open(fig["file"], "rb").read()
    archive = shutil.make_archive(str(tmp_path / "report"), "zip", out)
    names = zipfile.ZipFile(archive).namelist()
    assert "index.html" in names and "assets/report.css" in names
    assert any(n.startswith("figures/explain/") for n in names)


def test_missing_provenance_is_an_error_or_a_visible_warning(tree, tmp_path):
    root, kwargs = tree
    copy = tmp_path / "r"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("report"))
    sidecar_path(copy / "figures" / "summary" / "all_top1.png").unlink()
    moved = {k: (copy / v.relative_to(root) if hasattr(v, "relative_to") and str(v).startswith(str(root)) else v)
             for k, v in kwargs.items()}
    moved["figure_dirs"] = {k: copy / v.relative_to(root) for k, v in kwargs["figure_dirs"].items()}
    with pytest.raises(FileNotFoundError, match="all_top1"):
        build_site(**moved)
    site = build_site(**moved, strict=False)
    assert sum(p.count("Provenance record missing") for p in render_pages(site).values()) == 1
    del site["tables"][0]["provenance"]
    with pytest.raises(ValueError, match="provenance"):
        render_pages(site)


def test_a_failed_render_leaves_the_previous_report(report, tmp_path):
    site, out = report
    target = tmp_path / "report"
    render_site(site, target)
    broken = {**site, "figures": site["figures"] + [{**site["figures"][0], "file": str(tmp_path / "gone.png")}]}
    with pytest.raises(FileNotFoundError):
        render_site(broken, target)
    assert (target / "index.html").is_file() and not list(tmp_path.glob(".report.*"))


def test_summary_reports_commit_dirty_flag_and_notices(report):
    site, _ = report
    summary = dict(site["summary"])
    assert summary["profile"] == "quick" and summary["experiments"] == "3"
    assert summary["git commit"].startswith("unknown")  # the temp folder is no git work tree
    assert any("not comparable" in n for n in site["notices"])
