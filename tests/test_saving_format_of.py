"""``cnnbook.saving.format_of``: which format a path holds, from its manifest or header alone
(what the command line asks before it loads anything), and ``import cnnbook.saving`` light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnbook.saving import format_of
from cnnbook.saving.manifest import MANIFEST

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "checkpoint-0.2.0"


def test_a_torch_checkpoint_folder_or_its_manifest():
    assert format_of(FIXTURE) == format_of(FIXTURE / MANIFEST) == "torch"


def test_a_keras_manifest_and_a_browser_export(tmp_path):
    folder = tmp_path / "keras"
    folder.mkdir()
    (folder / MANIFEST).write_text(json.dumps({"format": "cnnbook-keras-checkpoint"}))
    assert format_of(folder) == "keras"
    torch = pytest.importorskip("torch")
    from cnnbook.models import catalogue
    from cnnbook.saving.browser import export_model

    torch.manual_seed(0)
    net = catalogue.get("post_tensorflow").build("torch").eval()
    for suffix in (".json", ".js"):
        path = export_model(net, tmp_path / f"model{suffix}", name="post_tensorflow",
                            class_names=[str(i) for i in range(10)])
        assert path.sha256 and format_of(tmp_path / f"model{suffix}") == "browser"


@pytest.mark.parametrize("content", [None, b"", b"[1, 2]", b'{"format": "other"}', b"\x80\x04",
                                     b"{not json"])
def test_anything_else_is_none(tmp_path, content):
    folder = tmp_path / "run"
    folder.mkdir()
    if content is not None:
        (folder / MANIFEST).write_bytes(content)
        (tmp_path / "file.json").write_bytes(content)
        assert format_of(tmp_path / "file.json") is None
    assert format_of(folder) is None
    assert format_of(tmp_path / "missing") is None


def test_importing_saving_and_asking_loads_no_framework():
    code = ("import sys, cnnbook.saving as s\n"
            f"assert s.format_of({str(FIXTURE)!r}) == 'torch'\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'keras', 'tensorflow', 'jax', 'safetensors')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr
