"""The real download code path, run against tiny official-format archives on loopback."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from cifarlab.data.download import ChecksumError, DownloadError, fetch_dataset
from cifarlab.data.official import load_official

from .archives import FASHION_FILES, md5, serve, write_cifar_archive, write_cifar_tree, write_fashion_gz

CIFAR = {"cifar10": ("cifar-10-python.tar.gz", "cifar-10-batches-py"),
         "cifar100": ("cifar-100-python.tar.gz", "cifar-100-python")}
DEBIAN = Path("/usr/share/datasets/fashion-mnist")
# md5 of the decompressed idx files: identical in Debian's recompressed .gz and the originals.
DEBIAN_RAW_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}


def assert_nothing_left(dest: Path) -> None:
    """No dest and no temporary sibling of it."""
    assert not dest.exists()
    assert not [p.name for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}.")]


@pytest.fixture
def served(tmp_path):
    """A folder served on loopback: (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    with serve(folder) as url:
        yield folder, url


@pytest.mark.parametrize("kind", ["cifar10", "cifar100"])
def test_cifar_download_extracts_checks_and_loads(kind, served, tmp_path):
    www, base = served
    archive_name, folder = CIFAR[kind]
    tiny = write_cifar_archive(kind, www / archive_name)
    url = f"{base}/{archive_name}"
    dest = tmp_path / "raw" / kind

    record = fetch_dataset(kind, dest, url=url, md5=md5(www / archive_name), progress=False)

    assert sorted(p.name for p in dest.iterdir()) == [folder]  # archive not kept
    assert record["source"] == "download" and record["url"] == url
    (fetched,) = record["fetched"]
    assert fetched["from"] == url and fetched["md5"] == fetched["expected_md5"] == md5(www / archive_name)
    assert record["files"] == {f"{folder}/{p.name}": md5(p) for p in (dest / folder).iterdir()}
    data = load_official(kind, dest)
    np.testing.assert_array_equal(data.train_images, tiny.train_images)
    np.testing.assert_array_equal(data.test_labels, tiny.test_labels)
    assert data.train_images.dtype == np.uint8 and data.train_labels.dtype == np.int64
    assert list(data.classes) == tiny.classes and data.channels_original == 3


def test_cifar_bad_md5_names_url_and_leaves_nothing(served, tmp_path):
    www, base = served
    write_cifar_archive("cifar10", www / "cifar-10-python.tar.gz")
    url, dest = f"{base}/cifar-10-python.tar.gz", tmp_path / "raw" / "cifar10"
    with pytest.raises(ChecksumError) as err:
        fetch_dataset("cifar10", dest, url=url, md5="0" * 32, progress=False)
    msg = str(err.value)
    assert url in msg and "0" * 32 in msg and md5(www / "cifar-10-python.tar.gz") in msg
    assert_nothing_left(dest)


def test_truncated_archive_fails_and_leaves_nothing(served, tmp_path):
    www, base = served
    write_cifar_archive("cifar100", www / "full.tar.gz")
    data = (www / "full.tar.gz").read_bytes()
    (www / "cifar-100-python.tar.gz").write_bytes(data[: len(data) // 2])
    url, dest = f"{base}/cifar-100-python.tar.gz", tmp_path / "raw" / "cifar100"
    with pytest.raises(DownloadError, match="truncated or corrupt"):  # no md5: extraction catches it
        fetch_dataset("cifar100", dest, url=url, md5=None, progress=False)
    assert_nothing_left(dest)
    with pytest.raises(ChecksumError, match="expected"):  # with the md5 of the full archive
        fetch_dataset("cifar100", dest, url=url, md5=md5(www / "full.tar.gz"), progress=False)
    assert_nothing_left(dest)


def test_missing_url_names_it(served, tmp_path):
    _, base = served
    dest = tmp_path / "raw" / "cifar10"
    with pytest.raises(DownloadError, match=f"{base}/nothing-here.tar.gz"):
        fetch_dataset("cifar10", dest, url=f"{base}/nothing-here.tar.gz", progress=False)
    assert_nothing_left(dest)


def test_failure_keeps_an_existing_dest(served, tmp_path):
    www, base = served
    write_cifar_archive("cifar10", www / "cifar-10-python.tar.gz")
    dest = tmp_path / "raw" / "cifar10"
    dest.mkdir(parents=True)
    (dest / "old").write_text("kept")
    with pytest.raises(ChecksumError):
        fetch_dataset("cifar10", dest, url=f"{base}/cifar-10-python.tar.gz", md5="f" * 32, progress=False)
    assert [p.name for p in dest.iterdir()] == ["old"]


def test_local_archive_stands_in(tmp_path):
    archive = tmp_path / "mine.tar.gz"
    tiny = write_cifar_archive("cifar10", archive)
    dest = tmp_path / "raw" / "cifar10"
    record = fetch_dataset("cifar10", dest, url="http://unused.invalid/x.tar.gz", md5=md5(archive),
                           local=archive, progress=False)
    assert record["source"] == "local_archive" and record["fetched"][0]["from"] == str(archive)
    np.testing.assert_array_equal(load_official("cifar10", dest).test_images, tiny.test_images)
    with pytest.raises(ChecksumError, match=str(archive)):
        fetch_dataset("cifar10", tmp_path / "other", url="", md5="1" * 32, local=archive, progress=False)
    assert_nothing_left(tmp_path / "other")


@pytest.mark.parametrize("point_at", ["parent", "batches_folder"])
def test_local_folder_stands_in_with_member_md5s(point_at, tmp_path):
    root = tmp_path / "extracted"
    tiny = write_cifar_tree("cifar100", root)
    folder = root / "cifar-100-python"
    files = {p.name: {"md5": md5(p)} for p in folder.iterdir()}
    local = root if point_at == "parent" else folder
    dest = tmp_path / "raw" / "cifar100"
    record = fetch_dataset("cifar100", dest, url="", files=files, local=local, progress=False)
    assert record["source"] == "local_folder"
    np.testing.assert_array_equal(load_official("cifar100", dest).train_labels, tiny.train_labels)


def test_local_folder_checks(tmp_path):
    root = tmp_path / "extracted"
    write_cifar_tree("cifar10", root)
    dest = tmp_path / "raw" / "cifar10"
    # no files given: torchvision's official member md5s apply, and tiny batches fail them
    with pytest.raises(ChecksumError, match="data_batch_1"):
        fetch_dataset("cifar10", dest, url="", local=root, progress=False)
    assert_nothing_left(dest)
    (root / "cifar-10-batches-py" / "test_batch").unlink()
    with pytest.raises(DownloadError, match="test_batch"):
        fetch_dataset("cifar10", dest, url="", files={}, local=root, progress=False)
    assert_nothing_left(dest)
    with pytest.raises(FileNotFoundError):
        fetch_dataset("cifar10", dest, url="", local=tmp_path / "absent", progress=False)


def test_unknown_kind():
    with pytest.raises(ValueError, match="mnist"):
        fetch_dataset("mnist", Path("unused"), url="")


def assert_fashion_layout(dest: Path, tiny) -> None:
    raw = dest / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(n.removesuffix(".gz") for n in FASHION_FILES)
    data = load_official("fashion_mnist", dest)
    n = len(tiny.train_labels)
    assert data.train_images.shape == (n, 3, 32, 32) and data.train_images.dtype == np.uint8
    np.testing.assert_array_equal(data.train_images[:, 1, 2:30, 2:30], tiny.train_images)  # padded 2 px
    assert not data.train_images[:, :, :2].any() and not data.train_images[:, :, :, 30:].any()
    assert (data.test_images[:, 0] == data.test_images[:, 2]).all()  # grey repeated to 3 channels
    np.testing.assert_array_equal(data.test_labels, tiny.test_labels)
    assert data.channels_original == 1 and data.image_size_original == 28 and data.num_classes == 10


def test_fashion_local_gz_checks_decompressed_md5(tmp_path):
    tiny, files = write_fashion_gz(tmp_path / "gz")
    # a recompressed .gz (as Debian's): its md5 differs, the decompressed bytes do not
    files = {n: {"md5": "0" * 32, "raw_md5": v["raw_md5"]} for n, v in files.items()}
    dest = tmp_path / "raw" / "fashion_mnist"
    record = fetch_dataset("fashion_mnist", dest, url="http://unused.invalid/", files=files,
                           local=tmp_path / "gz", progress=False)
    assert record["source"] == "local_folder"
    assert {e["verified"] for e in record["fetched"]} == {"raw_md5"}
    assert all(e["raw_md5"] == e["expected_raw_md5"] for e in record["fetched"])
    assert_fashion_layout(dest, tiny)


def test_fashion_wrong_decompressed_md5_leaves_nothing(tmp_path):
    _, files = write_fashion_gz(tmp_path / "gz")
    files["t10k-labels-idx1-ubyte.gz"]["raw_md5"] = "a" * 32
    dest = tmp_path / "raw" / "fashion_mnist"
    with pytest.raises(ChecksumError) as err:
        fetch_dataset("fashion_mnist", dest, url="", files=files, local=tmp_path / "gz", progress=False)
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value) and "a" * 32 in str(err.value)
    assert_nothing_left(dest)


def test_fashion_corrupt_gz_leaves_nothing(tmp_path):
    _, files = write_fashion_gz(tmp_path / "gz")
    gz = tmp_path / "gz" / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-20])
    dest = tmp_path / "raw" / "fashion_mnist"
    with pytest.raises(DownloadError, match="train-images-idx3-ubyte.gz"):
        fetch_dataset("fashion_mnist", dest, url="", files=files, local=tmp_path / "gz", progress=False)
    assert_nothing_left(dest)


def test_fashion_download_checks_gz_and_raw_md5(served, tmp_path):
    www, base = served
    tiny, files = write_fashion_gz(www)
    dest = tmp_path / "raw" / "fashion_mnist"
    record = fetch_dataset("fashion_mnist", dest, url=base + "/", files=files, progress=False)
    assert record["source"] == "download"
    assert {e["verified"] for e in record["fetched"]} == {"md5+raw_md5"}
    assert record["fetched"][0]["from"] == f"{base}/{FASHION_FILES[0]}"
    assert_fashion_layout(dest, tiny)
    files[FASHION_FILES[1]]["md5"] = "b" * 32
    with pytest.raises(ChecksumError, match=f"{base}/{FASHION_FILES[1]}"):
        fetch_dataset("fashion_mnist", tmp_path / "again", url=base, files=files, progress=False)
    assert_nothing_left(tmp_path / "again")


def test_fashion_decompressed_folder_stands_in(tmp_path):
    tiny, files = write_fashion_gz(tmp_path / "plain", gz=False)
    dest = tmp_path / "raw" / "fashion_mnist"
    record = fetch_dataset("fashion_mnist", dest, url="", files=files, local=tmp_path / "plain", progress=False)
    assert all(e["md5"] is None and e["verified"] == "raw_md5" for e in record["fetched"])
    assert_fashion_layout(dest, tiny)


@pytest.mark.skipif(not DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist(tmp_path):
    dest = tmp_path / "raw" / "fashion_mnist"
    files = {n: {"md5": None, "raw_md5": m} for n, m in DEBIAN_RAW_MD5.items()}
    record = fetch_dataset("fashion_mnist", dest, url="", files=files, local=DEBIAN, progress=False)
    assert {e["verified"] for e in record["fetched"]} == {"raw_md5"}
    raw = dest / "FashionMNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").stat().st_size == 16 + 60000 * 28 * 28
    with gzip.open(DEBIAN / "t10k-labels-idx1-ubyte.gz") as f:
        assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == f.read()
    data = load_official("fashion_mnist", dest)
    assert data.train_images.shape == (60000, 3, 32, 32) and data.test_images.shape == (10000, 3, 32, 32)
    assert np.bincount(data.test_labels).tolist() == [1000] * 10
    shutil.rmtree(dest)
