#!/usr/bin/env bash
# Run every notebook of the book that needs no TensorFlow on a CUDA GPU, in the FULL profile,
# under nbval's lax mode (`make test-gpu` calls this).
#
# WHY LAX: a GPU gives other floats than the CPU run whose outputs are stored, so stored outputs
# are not compared (`--nbval-lax` checks only cells marked `# NBVAL_CHECK_OUTPUT`). Every cell still
# executes, and the hidden `remove-cell` assert cells (accuracy floors, shapes) must hold: with the
# full profile they check the real thing.
#
# THE MACHINE it was written for: a CUDA GPU, Python 3.12 with torch (CUDA build), pytest and NumPy,
# NO internet, NO Jupyter, NO TensorFlow. Everything else travels in `.whl/` (git-ignored):
#
#   1. Once, on a machine with a network, from the repository root:
#          .ci/gpu_notebooks.sh --build-wheels     # .whl/*.whl, about 33 MB
#      which runs
#          pip download --only-binary=:all: --python-version 3.12 --implementation cp \
#            --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#            --platform manylinux2014_x86_64 --platform any -d .whl \
#            nbval nbclient ipykernel keras pooch tqdm matplotlib
#      and then deletes the wheels of what the GPU image already has (numpy, pytest, pluggy,
#      iniconfig, pygments, packaging, attrs, rich, markdown-it-py, mdurl, psutil, python-dateutil,
#      typing-extensions, absl-py, h5py, ml-dtypes, coverage, tzdata, and torch's own dependencies)
#      and what a headless run never imports (debugpy, jedi, parso: 11 MB).
#      The carry cap is 64 MiB for everything, and 33 MB of wheels + MNIST (2.4 MB) + CIFAR-10
#      (35-37 MB) exceed it. So, when CIFAR travels too:
#          .ci/gpu_notebooks.sh --pack              # .whl/*.whl -> .whl/site-cp312.tar.xz, 22 MB
#      installs the wheels for Python 3.12 into a staging folder (pip --target --python-version)
#      and packs it without bytecode (xz compresses the unpacked files far better than wheels).
#   2. Copy MNIST and CIFAR-10 in their canonical layouts into a git-ignored folder such as
#      `.gpu/data`: `mnist/*.gz` and either `cifar-10-batches-py/` (36 MB) or the canonical
#      `cifar-10-python.tar.gz` (cnnbook reads it in place). Fashion-MNIST does not fit the cap.
#   3. On the GPU machine, from the repository root (with `.whl/` and `.gpu/data` carried along):
#          CNNBOOK_DATA_DIR=.gpu/data .ci/gpu_notebooks.sh          # or: make test-gpu
#
# The script installs the carried wheels with
#     pip install --no-index --no-deps --target /tmp/cnnbook-site .whl/*.whl
# (or unpacks .whl/site-cp312.tar.xz there), puts that folder and the repository on PYTHONPATH
# (cnnbook is imported from the checkout, not installed), sets KERAS_BACKEND=torch (Keras would
# otherwise import TensorFlow and fail), CNNBOOK_PROFILE=full and CNNBOOK_OFFLINE=1, and runs
#     python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider NOTEBOOKS...
#
# WHICH NOTEBOOKS: those of `_toc.yml`, in order, minus the ones that need TensorFlow. A notebook
# declares what it needs beyond torch/keras/matplotlib in its metadata:
#     "metadata": {"cnnbook": {"requires": ["tensorflow"]}}
# and is then reported as SKIP with the reason, never dropped silently. A notebook that imports a
# missing module without declaring it is reported UNDECLARED and fails the run (tools/gpu_select.py).
#
# Options:
#   --list           print RUN/SKIP/UNDECLARED and the reason for each notebook, run nothing
#                    (works anywhere: a dry run that a CPU machine and the tests can do)
#   --build-wheels   build .whl/ as in step 1 (needs a network; run on a development machine)
#   --pack           turn .whl/*.whl into .whl/site-cp312.tar.xz (step 1, when CIFAR travels)
#   -h, --help       this text
# Environment: CNNBOOK_DATA_DIR (required for a run), PYTHON (default python3),
#   WHEEL_DIR (default .whl), SITE_DIR (default /tmp/cnnbook-site), CELL_TIMEOUT (default 1800 s),
#   PYTEST_ARGS (extra pytest arguments, e.g. "-x").
# Exit status: pytest's, or 1 when a notebook is UNDECLARED, no CUDA GPU is found or setup fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
WHEEL_DIR="${WHEEL_DIR:-.whl}"
SITE_DIR="${SITE_DIR:-/tmp/cnnbook-site}"
CELL_TIMEOUT="${CELL_TIMEOUT:-1800}"
PACKED="$WHEEL_DIR/site-cp312.tar.xz"
# In the GPU image already (numpy ... tzdata, torch's dependencies), or never imported headless.
NOT_CARRIED=(numpy pytest pluggy iniconfig pygments packaging attrs rich markdown_it_py mdurl psutil
  python_dateutil typing_extensions absl_py h5py ml_dtypes coverage tzdata torch nvidia triton
  filelock sympy mpmath networkx jinja2 MarkupSafe fsspec setuptools debugpy jedi parso)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

build_wheels() {
  mkdir -p "$WHEEL_DIR"
  "$PYTHON" -m pip download --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d "$WHEEL_DIR" \
    nbval nbclient ipykernel keras pooch tqdm matplotlib
  local name
  for name in "${NOT_CARRIED[@]}"; do
    # wheel file names use underscores; match the distribution name case-insensitively
    find "$WHEEL_DIR" -maxdepth 1 -iname "${name}-*.whl" -print -delete | sed 's/^/not carried: /'
  done
  du -sh "$WHEEL_DIR"
}

pack_site() {
  compgen -G "$WHEEL_DIR/*.whl" >/dev/null || { echo "no wheels in $WHEEL_DIR: run --build-wheels" >&2; exit 1; }
  local stage
  stage="$(mktemp -d)"
  "$PYTHON" -m pip install --quiet --no-index --no-deps --no-compile --target "$stage" \
    --python-version 3.12 --implementation cp --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any "$WHEEL_DIR"/*.whl
  tar -cJf "$PACKED" --exclude=__pycache__ -C "$stage" .
  rm -rf "$stage" "$WHEEL_DIR"/*.whl
  du -sh "$PACKED"
}

select_notebooks() { PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m tools.gpu_select; }

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --build-wheels) build_wheels; exit 0 ;;
  --pack) pack_site; exit 0 ;;
  --list)
    export KERAS_BACKEND=torch
    # after a real run on this machine, list with the same installed modules
    [[ -d "$SITE_DIR" ]] && export PYTHONPATH="$SITE_DIR${PYTHONPATH:+:$PYTHONPATH}"
    select_notebooks | awk -F'\t' '{printf "%-10s %-40s %s\n", $1, $2, $3}'
    exit "${PIPESTATUS[0]}" ;;
  "") ;;
  *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
esac

# --- a real run ----------------------------------------------------------------------------------
: "${CNNBOOK_DATA_DIR:?set CNNBOOK_DATA_DIR to a folder holding mnist/ and cifar-10-batches-py/}"
[[ -d "$CNNBOOK_DATA_DIR" ]] || { echo "CNNBOOK_DATA_DIR=$CNNBOOK_DATA_DIR is not a folder" >&2; exit 1; }
CNNBOOK_DATA_DIR="$(cd "$CNNBOOK_DATA_DIR" && pwd)"

if compgen -G "$WHEEL_DIR/*.whl" >/dev/null; then
  echo "installing $(ls "$WHEEL_DIR"/*.whl | wc -l) carried wheels into $SITE_DIR"
  "$PYTHON" -m pip install --quiet --no-index --no-deps --target "$SITE_DIR" "$WHEEL_DIR"/*.whl
  export PYTHONPATH="$SITE_DIR${PYTHONPATH:+:$PYTHONPATH}"
elif [[ -f "$PACKED" ]]; then
  echo "unpacking $PACKED into $SITE_DIR"
  mkdir -p "$SITE_DIR" && tar -xJf "$PACKED" -C "$SITE_DIR"
  export PYTHONPATH="$SITE_DIR${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
export CNNBOOK_DATA_DIR CNNBOOK_PROFILE=full CNNBOOK_OFFLINE=1 KERAS_BACKEND=torch
export CNNBOOK_CACHE_DIR="${CNNBOOK_CACHE_DIR:-/tmp/cnnbook-cache}"
export CNNBOOK_PROGRESS=0 PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=1
export MPLCONFIGDIR="${MPLCONFIGDIR:-/tmp/cnnbook-mpl}" JUPYTER_PLATFORM_DIRS=1

"$PYTHON" - <<'EOF'
import sys
import torch
if not torch.cuda.is_available():
    sys.exit("no CUDA GPU visible to torch: this runner is for a GPU machine "
             "(on a CPU machine use `make test-notebooks`)")
print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}, Python {sys.version.split()[0]}")
missing = [m for m in ("nbval", "ipykernel", "nbclient", "keras", "matplotlib", "pooch", "tqdm")
           if __import__("importlib.util").util.find_spec(m) is None]
if missing:
    sys.exit(f"missing {', '.join(missing)}: build the wheel set with .ci/gpu_notebooks.sh "
             "--build-wheels and carry .whl/")
EOF

mapfile -t LINES < <(select_notebooks)
RUN=() UNDECLARED=0
for line in "${LINES[@]}"; do
  IFS=$'\t' read -r status path reason <<<"$line"
  printf '%-10s %-40s %s\n' "$status" "$path" "$reason"
  case "$status" in
    RUN) RUN+=("$path") ;;
    UNDECLARED) UNDECLARED=1 ;;
  esac
done
((${#RUN[@]})) || { echo "no notebook to run" >&2; exit 1; }

status=0
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of words on purpose
"$PYTHON" -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout="$CELL_TIMEOUT" \
  -p no:cacheprovider ${PYTEST_ARGS:-} "${RUN[@]}" || status=$?
if ((UNDECLARED)); then
  echo "FAILED: a notebook imports a module that is missing here without declaring it;" \
       'add metadata {"cnnbook": {"requires": [...]}} to it (see UNDECLARED above)' >&2
  ((status)) || status=1
fi
exit "$status"
