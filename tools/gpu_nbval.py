"""pytest plugin for the GPU runner (``-p tools.gpu_nbval``): leave out the chapters' install cells.

Each chapter's first code cell (tag ``install-cnnbook``, written by ``tools.install_cell``) pip-
installs what the chapter needs and the kernel lacks, for readers on Colab or Binder. On the GPU
runner the runner itself has installed the environment, and that cell would try to install
TensorFlow (which Keras chapters list) or reach the network in an offline run, so its nbval item is
deselected; every other cell runs. Standard library only, like the rest of the runner's helpers.
"""

from __future__ import annotations

from typing import Any

INSTALL_TAG = "install-cnnbook"  # tools.install_cell.TAG (that module needs PyYAML)


def is_install_cell(item: Any) -> bool:
    """True for nbval's item of a cell tagged ``install-cnnbook``."""
    cell = getattr(item, "cell", None)
    metadata = getattr(cell, "metadata", None) or {}
    return INSTALL_TAG in metadata.get("tags", [])


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    dropped = [item for item in items if is_install_cell(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not is_install_cell(item)]
