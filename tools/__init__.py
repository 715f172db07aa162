"""The repository's own helpers (not part of the installed package): the TOC reader, the derived
book configs and the GPU runner's notebook selection. The Makefile runs them as
``python -m tools.NAME``; tests import them as ``tools.NAME`` (pytest puts the repository root on
``sys.path`` through ``pythonpath`` in pyproject.toml)."""
