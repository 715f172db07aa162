"""Print _config.yml with notebook execution turned off (for `make test-book`).

`make test` executes every notebook once, under nbval, which compares the fresh outputs with the
stored ones and runs the hidden assert cells. The strict book build that follows renders those
verified outputs instead of executing everything a second time.
"""

from pathlib import Path

import yaml

config = yaml.safe_load((Path(__file__).resolve().parents[1] / "_config.yml").read_text())
config.setdefault("execute", {})["execute_notebooks"] = "off"
print(yaml.safe_dump(config, sort_keys=False))
