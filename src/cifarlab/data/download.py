"""Fetch the official datasets into torchvision's on-disk layout, md5-checked.

``fetch_dataset`` downloads with torchvision's own utilities (``download_url``, which
shows a tqdm progress bar, ``calculate_md5``, ``extract_archive``) or takes a local
stand-in, verifies every checksum it was given, and returns a record of what came from
where with the md5 of every file it left (the caller writes it to ``download.json``).

Everything is staged in a temporary sibling of ``dest`` (``cifarlab.io.atomic_path``)
and renamed at the end: a bad md5, a truncated or corrupt archive, a failed download or
a kill leaves no ``dest`` behind (an older ``dest`` stays as it was).

Layouts written (the contract in docs/contracts.md):

- cifar10: ``dest/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta, ...}``
- cifar100: ``dest/cifar-100-python/{train, test, meta, ...}``
- fashion_mnist: ``dest/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``

The downloaded archive (or .gz files) is not kept: its md5 is in the record.

``files`` (optional) gives per-file expected md5s:

- fashion_mnist: ``{"train-images-idx3-ubyte.gz": {"md5": <of the .gz>, "raw_md5":
  <of the decompressed bytes>}, ...}``; None means torchvision's resources (.gz md5s).
  A downloaded .gz is checked on both values given. A local .gz is checked on
  ``raw_md5`` when given (Debian's dataset-fashion-mnist recompresses the files, so only
  the decompressed content is comparable), else on ``md5``.
- cifar10/cifar100: ``{"data_batch_1": {"md5": ...}, ...}`` (names inside the batches
  folder), checked after extraction when given. A local extracted folder with no
  ``files`` is checked against torchvision's official member md5s.
"""

from __future__ import annotations

import http.client
import shutil
import sys
import tarfile
import zlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping

import torchvision
from torchvision import datasets as tvd
from torchvision.datasets.utils import calculate_md5, download_url, extract_archive

from cifarlab.errors import CifarlabError, disk_error
from cifarlab.io import WRITE_ERRNOS, atomic_path

Files = Mapping[str, Mapping[str, str | None]]
Record = dict[str, Any]

# What a broken download (urllib: URLError/HTTPError are OSErrors), archive or .gz raises.
_TRANSFER_ERRORS = (OSError, http.client.HTTPException, ValueError)
_ARCHIVE_ERRORS = (OSError, EOFError, tarfile.TarError, zlib.error)


class DownloadError(CifarlabError, RuntimeError):
    """A download, archive or local stand-in could not be used; the message names it."""


class ChecksumError(DownloadError):
    """An md5 did not match; carries what was checked and both values."""

    def __init__(self, kind: str, what: str, expected: str, actual: str) -> None:
        super().__init__(f"{kind}: md5 mismatch for {what}: expected {expected}, got {actual}")
        self.what, self.expected, self.actual = what, expected, actual


@dataclass(frozen=True)
class _ArchiveSpec:
    """A dataset shipped as one archive holding one folder (CIFAR)."""

    folder: str  # the folder inside the archive, e.g. cifar-10-batches-py
    filename: str  # the archive's file name, e.g. cifar-10-python.tar.gz
    official: Mapping[str, str]  # member name -> torchvision's md5

    @classmethod
    def of(cls, ds: type) -> _ArchiveSpec:
        members = [*ds.train_list, *ds.test_list, [ds.meta["filename"], ds.meta["md5"]]]
        return cls(ds.base_folder, ds.filename, {name: md5 for name, md5 in members})


@dataclass(frozen=True)
class _GzFilesSpec:
    """A dataset shipped as separate .gz files (MNIST family)."""

    raw_folder: str  # e.g. FashionMNIST/raw
    resources: Mapping[str, str]  # .gz name -> torchvision's md5 of the .gz


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"[download] {msg}", file=sys.stderr, flush=True)


def _check(kind: str, what: str, expected: str | None, actual: str) -> None:
    if expected is not None and expected.lower() != actual:
        raise ChecksumError(kind, what, expected.lower(), actual)


def _download(kind: str, url: str, folder: Path, filename: str) -> Path:
    """torchvision's download_url (redirects, progress bar), errors naming the URL."""
    try:
        download_url(url, str(folder), filename=filename, md5=None)  # md5 checked by the caller
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:  # our disk, not the server: say so
            raise disk_error(exc, url, action="downloading") from exc
        raise DownloadError(f"{kind}: download of {url} failed: {exc!r}") from exc
    except _TRANSFER_ERRORS as exc:
        raise DownloadError(f"{kind}: download of {url} failed: {exc!r}") from exc
    return folder / filename


def _extract(kind: str, archive: Path, to: Path, label: str) -> None:
    try:
        extract_archive(str(archive), str(to))
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:  # a full disk, not a corrupt archive
            raise disk_error(exc, label, action="extracting") from exc
        raise DownloadError(f"{kind}: cannot extract {label} (truncated or corrupt?): {exc!r}") from exc
    except _ARCHIVE_ERRORS as exc:
        raise DownloadError(f"{kind}: cannot extract {label} (truncated or corrupt?): {exc!r}") from exc


def _check_members(kind: str, spec: _ArchiveSpec, folder: Path, expected: Mapping[str, str | None],
                   origin: str) -> None:
    """Every official member present and md5-checked. Messages name ``origin`` (the
    archive, URL or local folder) and the member: ``folder`` is a temporary that is gone
    by the time the user reads the message."""
    missing = [m for m in spec.official if not (folder / m).is_file()]
    missing += [m for m in expected if m not in missing and not (folder / m).is_file()]
    if missing:
        raise DownloadError(f"{kind}: {origin} is incomplete (truncated?): {spec.folder}/ lacks "
                            f"{', '.join(missing)}")
    for name, md5 in expected.items():
        _check(kind, f"{origin}: {spec.folder}/{name}", md5, calculate_md5(folder / name))


def _member_md5s(files: Files | None) -> dict[str, str | None]:
    return {name: (v or {}).get("md5") for name, v in (files or {}).items()}


def _fetch_archive(spec: _ArchiveSpec, kind: str, stage: Path, *, url: str, md5: str | None,
                   files: Files | None, local: Path | None, progress: bool) -> Record:
    """CIFAR: one archive (downloaded or local) extracted into stage, or a local folder copied."""
    if local is not None and local.is_dir():
        src = local if local.name == spec.folder else local / spec.folder
        _say(progress, f"{kind}: copying extracted folder {src}")
        if not src.is_dir():
            raise DownloadError(f"{kind}: local folder {local} holds no {spec.folder}/")
        shutil.copytree(src, stage / spec.folder)
        _check_members(kind, spec, stage / spec.folder,
                       _member_md5s(files) if files is not None else spec.official, str(local))
        return {"source": "local_folder", "fetched": [
            {"name": spec.folder, "from": str(src), "verified": "member md5s"}]}
    if local is not None:
        archive, origin, source = local, str(local), "local_archive"
    else:
        _say(progress, f"{kind}: downloading {url}")
        archive, origin, source = _download(kind, url, stage / ".download", spec.filename), url, "download"
    actual = calculate_md5(archive)
    _check(kind, origin, md5, actual)
    _say(progress, f"{kind}: extracting {archive.name}")
    _extract(kind, archive, stage, origin)
    shutil.rmtree(stage / ".download", ignore_errors=True)
    _check_members(kind, spec, stage / spec.folder, _member_md5s(files), origin)
    verified = "+".join(v for v, ok in (("md5", md5), ("member md5s", files)) if ok) or None
    return {"source": source, "fetched": [{"name": spec.filename, "from": origin, "md5": actual,
                                           "expected_md5": md5, "verified": verified}]}


def _obtain_gz(kind: str, name: str, spec: _GzFilesSpec, stage: Path, *, url: str,
               local: Path | None, progress: bool) -> tuple[Path | None, str]:
    """Where one file comes from: a .gz (downloaded or local), or a decompressed local copy
    already placed in the raw folder (then no .gz: returns None)."""
    if local is None:
        origin = f"{url.rstrip('/')}/{name}"
        _say(progress, f"{kind}: downloading {origin}")
        return _download(kind, origin, stage / ".download", name), origin
    if (local / name).is_file():
        return local / name, str(local / name)
    plain = name.removesuffix(".gz")
    for candidate in (local / plain, local / spec.raw_folder / plain):  # a plain folder or a torchvision root
        if candidate.is_file():
            shutil.copyfile(candidate, stage / spec.raw_folder / plain)
            return None, str(candidate)
    raise DownloadError(f"{kind}: local folder {local} has neither {name} nor {plain}")


def _fetch_gz(kind: str, name: str, want: Mapping[str, str | None], spec: _GzFilesSpec, stage: Path, *,
              url: str, local: Path | None, progress: bool) -> Record:
    """One MNIST-style file into ``stage/<raw_folder>/<name without .gz>``, md5-checked."""
    gz, origin = _obtain_gz(kind, name, spec, stage, url=url, local=local, progress=progress)
    raw_dir = stage / spec.raw_folder
    entry: Record = {"name": name, "from": origin, "md5": None, "expected_md5": want.get("md5"),
                     "expected_raw_md5": want.get("raw_md5")}
    verified = []
    if gz is not None:
        entry["md5"] = calculate_md5(gz)
        # A local .gz may be recompressed (Debian's are): its decompressed bytes are what count.
        if want.get("md5") and (local is None or not want.get("raw_md5")):
            _check(kind, origin, want["md5"], entry["md5"])
            verified.append("md5")
        try:
            extract_archive(str(gz), str(raw_dir))  # name.gz -> raw_dir/name
        except OSError as exc:
            if exc.errno in WRITE_ERRNOS:
                raise disk_error(exc, origin, action="decompressing") from exc
            raise DownloadError(f"{kind}: cannot decompress {origin} (truncated or corrupt?): {exc!r}") from exc
        except _ARCHIVE_ERRORS as exc:
            raise DownloadError(f"{kind}: cannot decompress {origin} (truncated or corrupt?): {exc!r}") from exc
    entry["raw_md5"] = calculate_md5(raw_dir / name.removesuffix(".gz"))
    if want.get("raw_md5"):
        _check(kind, f"decompressed content of {origin}", want["raw_md5"], entry["raw_md5"])
        verified.append("raw_md5")
    entry["verified"] = "+".join(verified) or None
    return entry


def _fetch_gz_files(spec: _GzFilesSpec, kind: str, stage: Path, *, url: str, md5: str | None,
                    files: Files | None, local: Path | None, progress: bool) -> Record:
    if local is not None and not local.is_dir():
        raise DownloadError(f"{kind}: local stand-in {local} must be a folder of .gz or idx files")
    wanted = files if files is not None else {n: {"md5": m} for n, m in spec.resources.items()}
    if set(wanted) != set(spec.resources):
        raise ValueError(f"{kind}: files must name exactly {', '.join(spec.resources)}; got {', '.join(wanted)}")
    (stage / spec.raw_folder).mkdir(parents=True)
    fetched = [_fetch_gz(kind, n, wanted[n] or {}, spec, stage, url=url, local=local, progress=progress)
               for n in spec.resources]
    shutil.rmtree(stage / ".download", ignore_errors=True)
    return {"source": "download" if local is None else "local_folder", "fetched": fetched}


FETCHERS: dict[str, Callable[..., Record]] = {
    "cifar10": partial(_fetch_archive, _ArchiveSpec.of(tvd.CIFAR10)),
    "cifar100": partial(_fetch_archive, _ArchiveSpec.of(tvd.CIFAR100)),
    "fashion_mnist": partial(_fetch_gz_files, _GzFilesSpec("FashionMNIST/raw", dict(tvd.FashionMNIST.resources))),
}


def tree_md5s(root: Path) -> dict[str, str]:
    """md5 of every file under ``root``, keyed by its POSIX path relative to ``root``."""
    return {p.relative_to(root).as_posix(): calculate_md5(p) for p in sorted(root.rglob("*")) if p.is_file()}


def fetch_dataset(kind: str, dest: str | Path, *, url: str, md5: str | None = None,
                  files: Files | None = None, local: str | Path | None = None,
                  progress: bool = True) -> Record:
    """Fetch dataset ``kind`` into ``dest`` (torchvision's layout) and return its record.

    Args:
        kind: ``cifar10``, ``cifar100`` or ``fashion_mnist``.
        dest: the folder to create (e.g. ``data/raw/cifar10``); replaced whole on success.
        url: the archive URL (CIFAR) or the base URL the .gz names are appended to.
        md5: expected md5 of the CIFAR archive (downloaded or local); None = unchecked.
            Unused for fashion_mnist, whose md5s are per file in ``files``.
        files: per-file expected md5s (see the module docstring).
        local: a local archive or folder standing in for the download (None = download).
        progress: print one line per step to stderr (torchvision prints the byte bar).

    Returns:
        ``{"dataset", "source" (download | local_archive | local_folder), "url", "local",
        "fetched" (one entry per archive/file: from, md5s expected and actual, what was
        verified), "files" ({relative path: md5} for every file in dest), "torchvision"}``.

    Raises:
        ValueError: unknown kind. ChecksumError: an md5 mismatch (names the URL or file,
        expected and actual). DownloadError: failed download, corrupt or truncated
        archive, missing members. FileNotFoundError: ``local`` does not exist.
    """
    if kind not in FETCHERS:
        raise ValueError(f"unknown dataset kind {kind!r}; known: {', '.join(FETCHERS)}")
    local_path = Path(local).expanduser() if local is not None else None
    if local_path is not None and not local_path.exists():
        raise FileNotFoundError(f"{kind}: local stand-in {local_path} does not exist")
    dest = Path(dest)
    with atomic_path(dest) as stage:
        stage.mkdir()
        record = FETCHERS[kind](kind, stage, url=url, md5=md5, files=files, local=local_path,
                                progress=progress)
        record["files"] = tree_md5s(stage)
    _say(progress, f"{kind}: {len(record['files'])} files in {dest}")
    return {"dataset": kind, "url": url, "local": str(local_path) if local_path else None,
            **record, "torchvision": torchvision.__version__}
