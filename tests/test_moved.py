"""The deprecated aliases that moved modules left at their old paths (``cnnbook._moved``): each
old path still gives the new module's objects, for one minor version, with a
``DeprecationWarning`` that names the new path and points at the line that read the name."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import cnnbook

MOVED = {  # old path -> new path, moved in 0.3.0, removed in 0.4.0
    "cnnbook.models.manifest": "cnnbook.saving.manifest",
    "cnnbook.models.keras_archive": "cnnbook.saving.keras_archive",
    "cnnbook.models.export": "cnnbook.saving.browser",
    "cnnbook.models.keras_saving": "cnnbook.saving.keras_checkpoint",
    "cnnbook.training.checkpoints": "cnnbook.saving.torch_checkpoint",
}
NEEDS = {"cnnbook.models.keras_saving": "keras", "cnnbook.training.checkpoints": "safetensors"}


def test_the_version_is_one_that_keeps_the_aliases():
    """They go in 0.4.0: this test fails then, as a reminder to delete them and it."""
    assert cnnbook.__version__.startswith("0.3."), cnnbook.__version__


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_gives_the_new_objects_with_a_warning(old):
    if old in NEEDS:
        pytest.importorskip(NEEDS[old])
    new = importlib.import_module(MOVED[old])
    module = importlib.import_module(old)
    assert sorted(dir(module)) == sorted(new.__all__)
    for name in new.__all__:
        with pytest.warns(DeprecationWarning, match=rf"{old} moved to {MOVED[old]} in cnnbook "
                                                    rf"0\.3\.0.*goes in 0\.4\.0.*{name}") as seen:
            value = getattr(module, name)
        assert value is getattr(new, name)
        assert seen[0].filename == __file__  # the warning points at the reader's line
    with pytest.warns(DeprecationWarning):
        assert module.__all__ == new.__all__  # so `from old import *` takes the same names
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module.not_a_name  # noqa: B018


def test_python_shows_the_warning_in_a_script_and_the_old_import_works():
    """Python shows a DeprecationWarning by default only when it is attributed to ``__main__``:
    a script (or a notebook cell) that imports from an old path sees one line naming the new."""
    code = ("from cnnbook.models.manifest import check_fit\n"
            "import cnnbook.saving.manifest as new\n"
            "assert check_fit is new.check_fit\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "DeprecationWarning: cnnbook.models.manifest moved to cnnbook.saving.manifest" in \
        result.stderr


def test_an_alias_imports_nothing_until_a_name_is_read():
    code = ("import sys, cnnbook.models.export\n"
            "print('cnnbook.saving.browser' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
