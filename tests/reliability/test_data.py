"""Data problems: a configured local path that is missing, truncated or corrupt archives,
wrong md5s. Each names the key or archive and leaves data/ as it was."""

from __future__ import annotations

import copy
import gzip
import io
import tarfile

import pytest

from cifarlab.data.download import ChecksumError, DownloadError, fetch_dataset
from tests.data.archives import md5, write_cifar_archive
from tests.reliability.helpers import snapshot, step, temporaries, write_params


def test_missing_local_path_is_an_error_not_a_download(project, params, capsys):
    raw = copy.deepcopy(params)
    raw["datasets"]["fashion_mnist"]["local"] = "/nonexistent/fashion-mnist"
    raw["datasets"]["fashion_mnist"]["url"] = "http://127.0.0.1:9/never-contacted/"
    write_params(project, raw)
    before = snapshot(project / "data")

    rc, err = step(capsys, "download")

    assert rc == 2 and err.count("\n") == 1, err
    assert "datasets.fashion_mnist.local: /nonexistent/fashion-mnist does not exist" in err
    assert snapshot(project / "data") == before and not temporaries(project)


def test_wrong_md5_through_the_cli_names_the_file(project, params, capsys):
    raw = copy.deepcopy(params)
    name = "train-labels-idx1-ubyte.gz"
    raw["datasets"]["fashion_mnist"]["files"][name]["raw_md5"] = "0" * 32
    write_params(project, raw)
    before = snapshot(project / "data")

    rc, err = step(capsys, "download")

    assert rc == 2 and err.count("\n") == 1, err
    assert f"md5 mismatch for decompressed content of" in err and name in err and "0" * 32 in err
    assert snapshot(project / "data") == before and not temporaries(project)


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "cifar-10-python.tar.gz"
    write_cifar_archive("cifar10", path)
    return path


def test_tar_that_stops_early_names_archive_and_missing_members(archive, tmp_path):
    tar = gzip.decompress(archive.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        cut = t.getmembers()[3].offset  # a clean end after the first members
    short = tmp_path / "short.tar.gz"
    short.write_bytes(gzip.compress(tar[:cut]))
    dest = tmp_path / "raw" / "cifar10"
    with pytest.raises(DownloadError) as info:
        fetch_dataset("cifar10", dest, url="http://127.0.0.1:9/", local=short, progress=False)
    msg = str(info.value)
    assert msg.startswith(f"cifar10: {short} is incomplete (truncated?): cifar-10-batches-py/ lacks ")
    assert "test_batch" in msg and ".tmp" not in msg
    assert not dest.exists() and not temporaries(tmp_path)


def test_corrupt_archive_names_it(archive, tmp_path):
    half = tmp_path / "half.tar.gz"
    half.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    dest = tmp_path / "raw" / "cifar10"
    with pytest.raises(DownloadError, match=rf"^cifar10: cannot extract {half} \(truncated or corrupt\?\)"):
        fetch_dataset("cifar10", dest, url="http://127.0.0.1:9/", local=half, progress=False)
    assert not dest.exists() and not temporaries(tmp_path)


def test_wrong_archive_md5_names_it(archive, tmp_path):
    dest = tmp_path / "raw" / "cifar10"
    with pytest.raises(ChecksumError, match=rf"md5 mismatch for {archive}: expected 0{{32}}, got {md5(archive)}"):
        fetch_dataset("cifar10", dest, url="http://127.0.0.1:9/", md5="0" * 32, local=archive, progress=False)
    assert not dest.exists() and not temporaries(tmp_path)
