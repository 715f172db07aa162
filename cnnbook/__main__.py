"""``python -m cnnbook``: see :mod:`cnnbook.cli`."""

from cnnbook.cli import main

raise SystemExit(main())
