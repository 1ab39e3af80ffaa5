"""Issue 19, item 7: an existing empty or incomplete folder output never passes for a made
one. Unit checks of cifarlab.folders, then a Snakemake dry run over an empty report/."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from cifarlab import dag
from cifarlab.folders import FolderOutputError, check_folder_outputs, folder_outputs
from tests.workflow_copy import copy_workflow, run_tool


def test_empty_folders_are_removed_complete_ones_kept(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / dag.train_dir("cnn4")).mkdir(parents=True)
    tables = tmp_path / dag.TABLES_DIR
    tables.mkdir(parents=True)
    (tables / "tables.json").write_text("{}")
    removed = check_folder_outputs(folder_outputs(["cnn4"]), tmp_path)
    assert removed == [dag.REPORT_DIR, dag.train_dir("cnn4")]
    assert not (tmp_path / "report").exists() and (tables / "tables.json").is_file()


def test_a_folder_with_content_but_no_marker_is_named(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "notes.txt").write_text("mine")
    with pytest.raises(FolderOutputError, match=r"^report/: exists without index.html"):
        check_folder_outputs([dag.REPORT_DIR], tmp_path)
    assert (tmp_path / "report" / "notes.txt").read_text() == "mine"  # never deleted


def test_an_empty_folder_that_cannot_go_is_named(tmp_path, monkeypatch):
    (tmp_path / "report").mkdir()

    def busy(self):  # what rmdir(2) says of a mount point
        raise OSError(errno.EBUSY, "Device or resource busy", str(self))

    monkeypatch.setattr(Path, "rmdir", busy)
    with pytest.raises(FolderOutputError, match=r"report/: an empty folder that cannot be "
                                                r"removed \(Device or resource busy; a mount"):
        check_folder_outputs([dag.REPORT_DIR], tmp_path)


@pytest.mark.slow
def test_snakemake_builds_the_report_over_an_empty_report_folder(tmp_path):
    work = copy_workflow(tmp_path / "wf")
    (work / "report").mkdir()
    dry = run_tool(["snakemake", "-n", "--cores", "1", "--config", "only=cnn4"], work)
    assert "Nothing to be done" not in dry.stdout
    assert "rule report:" in dry.stdout and "report/ was an empty folder: removed" in dry.stderr
    (work / "report").mkdir()
    (work / "report" / "notes.txt").write_text("mine")
    refused = run_tool(["snakemake", "-n", "--cores", "1", "--config", "only=cnn4"], work, check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        "cifarlab: error: report/: exists without index.html, which its step always writes; "
        "move its content away and delete the folder, then rerun")
