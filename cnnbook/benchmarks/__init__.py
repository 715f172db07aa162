"""Benchmarks that chapters run on the reader's machine: one process per framework.

- :mod:`cnnbook.benchmarks.runner` (light): starts the workers, rotates requests between them,
  and summarises (median, min, max).
- :mod:`cnnbook.benchmarks.worker` (imports its framework): ``python -m
  cnnbook.benchmarks.worker --framework keras/torch`` serves ``speed`` and ``train`` requests.
- :mod:`cnnbook.benchmarks.loops` (torch): the hand-written epoch that ``fit`` is compared with,
  shared by the ``torch loop`` worker and ``bench/bench_training.py``.

They live in the package (not in ``bench/``) because the book's chapters call them at run time
and readers install the package without the repository.
"""
