"""Exit with one line unless this interpreter can install the locks: CPython 3.11.5 or a later 3.11.

`make setup` runs it with the Python it will build .venv from, before creating anything. Standard
library only, so any Python can run it.
"""

import sys

OLDEST, NEWER = (3, 11, 5), (3, 12)

if __name__ == "__main__":
    version = sys.version_info[:3]
    if not OLDEST <= version < NEWER:
        found = ".".join(str(part) for part in version)
        sys.exit(f"{sys.executable} is Python {found}; the locks need 3.11.5 or a later 3.11 "
                 "(make PYTHON=/path/to/python3.11, after removing .venv)")
