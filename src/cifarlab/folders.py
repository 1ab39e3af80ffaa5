"""Declared folder outputs that exist without what their step always writes.

Snakemake takes an existing ``directory()`` output as made: an empty ``report/`` made by
hand (or a mount point) left ``snakemake`` with "Nothing to be done" and no report. Before
the DAG is built, every declared folder output that exists is checked:

- empty: removed, so its step runs (a completed folder is never empty: Snakemake leaves
  its ``.snakemake_timestamp`` in it); one that cannot be removed (a mount point) is an
  error naming it;
- not empty but without the file its step always writes (``MARKERS``): an error naming
  the folder and the file. Its content is not ours to delete.

Torch-free: the Snakefile imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from cifarlab import dag
from cifarlab.errors import CifarlabError

# Folder -> the file its step writes last (after it, the folder is complete).
MARKERS = {
    dag.RAW_DIR: "download.prov.json",
    dag.SPLIT_DIR: "split.prov.json",
    dag.TABLES_DIR: "tables.json",
    dag.REPORT_DIR: "index.html",
}


class FolderOutputError(CifarlabError):
    """A declared folder output is in the way; the message names it."""


def folder_outputs(experiments: Iterable[str]) -> list[str]:
    """Every folder the DAG declares as an output, for ``experiments``."""
    # Not EXPLAIN_DIR: explain writes an empty folder when the run has none of the
    # experiments it draws from (a subset, the tiny test catalogues), and DVC restores it
    # empty after a pull; removing it would make both front ends rerun explain and report.
    fixed = [dag.RAW_DIR, dag.SPLIT_DIR, dag.PREVIEW_DIR, dag.TABLES_DIR, dag.SUMMARY_DIR,
             dag.REPORT_DIR]
    return fixed + [d for e in experiments for d in (dag.train_dir(e), dag.eval_dir(e))]


def check_folder_outputs(folders: Iterable[str], root: Path = Path(".")) -> list[str]:
    """Remove empty folder outputs (returned); raise FolderOutputError for one that cannot
    be removed or that lacks its marker file."""
    removed = []
    for folder in folders:
        path = root / folder
        if not path.is_dir() or path.is_symlink():
            continue
        marker = MARKERS.get(folder)
        if marker and (path / marker).is_file():
            continue
        if any(path.iterdir()):
            if marker:
                raise FolderOutputError(
                    f"{folder}/: exists without {marker}, which its step always writes; "
                    f"move its content away and delete the folder, then rerun")
            continue
        try:
            path.rmdir()
        except OSError as exc:
            raise FolderOutputError(
                f"{folder}/: an empty folder that cannot be removed ({exc.strerror}; a mount "
                f"point?); its step writes a new folder in its place: unmount or delete it"
            ) from None
        removed.append(folder)
    return removed
