"""Benchmarks that chapters run on the reader's machine: one process per framework.

- :mod:`cnnbook.benchmarks.runner` (light): starts the workers, rotates requests between them,
  and summarises (median, min, max).
- :mod:`cnnbook.benchmarks.worker` (imports its framework): ``python -m
  cnnbook.benchmarks.worker --framework keras/torch`` serves ``speed`` and ``train`` requests.

Workers serve one catalogue model (:mod:`cnnbook.models.catalogue`, default ``post_keras``). The
hand-written epoch that ``fit`` is compared with lives in :mod:`cnnbook.training.loops`.

They live in the package (not in ``bench/``) because the book's chapters call them at run time
and readers install the package without the repository.
"""
