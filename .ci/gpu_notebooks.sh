#!/usr/bin/env bash
# Run the book's notebooks that need no TensorFlow on a CUDA GPU, in the FULL profile, under
# nbval's lax mode (`make test-gpu` calls this).
#
#   .ci/gpu_notebooks.sh [OPTIONS] [CHAPTER ...]      CHAPTER: speed, book/speed or book/speed.ipynb
#
# WHY LAX: a GPU gives other floats than the CPU run whose outputs are stored, so stored outputs
# are not compared (`--nbval-lax` checks only cells marked `# NBVAL_CHECK_OUTPUT`). Every cell still
# executes, and the hidden `remove-cell` assert cells (accuracy floors, shapes) must hold: with the
# full profile they check the real thing. Each chapter's install cell (tag `install-cnnbook`, for
# Colab and Binder readers) is left out (tools/gpu_nbval.py): this script installs the environment.
#
# ONLINE (the default), on a Linux x86_64 machine with an NVIDIA driver, Python 3.11+ and a network:
#   1. a virtual environment, .gpu/venv (GPU_VENV; GPU_VENV=none installs into $PYTHON itself);
#   2. torch, a CUDA build, unless the interpreter already has one: TORCH_SPEC (default: the torch
#      version of requirements/cpu-lock.txt) from PyPI, whose Linux x86_64 torch wheels are CUDA
#      builds, or from TORCH_INDEX, one of PyTorch's CUDA indexes such as
#      https://download.pytorch.org/whl/cu126 for a driver older than PyPI's build needs
#      (TORCH_SPEC then defaults to the newest torch there);
#   3. requirements/gpu.txt (nbval, ipykernel, keras, myst-nb, safetensors, scikit-image, ...), with
#      requirements/cpu-lock.txt as constraints (GPU_CONSTRAINTS; empty: none), so the versions
#      are those the stored outputs were made with; never TensorFlow, never the CPU lock itself;
#   4. the data: a folder given with --data DIR (or CNNBOOK_DATA_DIR) is read first; whatever a
#      chosen chapter declares and is not there is downloaded by cnnbook's loaders into the cache
#      (CNNBOOK_CACHE_DIR, default ~/.cache/cnnbook) before the notebooks start, so that a failing
#      mirror shows as such. CNNBOOK_OFFLINE is not set.
#
# OFFLINE (--wheels DIR): for a GPU machine without a network whose Python (GPU_TARGET_PY, default
# 3.12) has a CUDA torch and, unless told otherwise with --have, NumPy. Nothing is downloaded:
#   1. on a machine with a network:
#          .ci/gpu_notebooks.sh --build-wheels .whl [--have FILE]
#      downloads requirements/gpu.txt's lines not marked "online only" (myst-nb, scikit-image,
#      scipy and pycocotools stay behind: a glue shim, tools/glue_shim, stands in for myst-nb's
#      glue, and the two chapters that need scikit-image are reported SKIP) as wheels for that
#      Python on manylinux x86_64, and deletes those the GPU machine has: torch's own dependencies,
#      what FILE lists (`python -m pip list --format=freeze` run there; default: numpy), and what
#      a headless run never imports (debugpy, jedi, parso) or no chapter reaches here (h5py,
#      Keras' weight files). Then
#          .ci/gpu_notebooks.sh --pack .whl
#      installs them into a staging folder and packs it as .whl/site-cp312.tar.xz, without bytecode,
#      test suites or the compiled modules' symbol tables (xz compresses the installed files far
#      better than the wheels).
#      MEASURED 2026-12-02 for Python 3.12: 61 wheels, 36.9 MB; packed, 19.0 MB. With MNIST as
#      this project's offline folder holds it (the test set and a 5,000-image training subset,
#      2.5 MB) and a 12,000-image CIFAR-10 subset packed as cifar-10-python.tar.gz (34.8 MB), the
#      bundle is 56.3 MB. What does not fit in 60 MB beside that: NumPy (9.1 MB more packed, for a
#      machine without it), the canonical MNIST (11.6 MB) or CIFAR-10 (170 MB) files, and
#      Fashion-MNIST (30 MB); a chapter that needs data left behind is reported SKIP, with the
#      reason.
#   2. put the datasets in their canonical layouts in a folder (mnist/*.gz; cifar-10-batches-py/
#      or cifar-10-python.tar.gz; fashion-mnist/*.gz) and carry it with .whl/;
#   3. on the GPU machine:
#          .ci/gpu_notebooks.sh --wheels .whl --data DIR
#      installs the wheels (or unpacks the pack) into .gpu/site (SITE_DIR) with no index, puts it,
#      the repository and, when myst_nb is missing, the glue shim on PYTHONPATH, and sets
#      CNNBOOK_OFFLINE=1: a chapter whose declared data is absent is reported SKIP.
#
# WHICH NOTEBOOKS: those of `_toc.yml` (or the CHAPTERs given), in order. A notebook declares what
# it needs beyond torch, Keras on torch and matplotlib, and the datasets it reads, in its metadata:
#     "metadata": {"cnnbook": {"requires": ["tensorflow"], "data": ["mnist"]}}
# and is reported SKIP with the reason when that is missing, never dropped silently. A notebook
# that imports a missing module, or loads a dataset, without declaring it is reported UNDECLARED
# and fails the run (tools/gpu_select.py).
#
# Options:
#   --list            print RUN/SKIP/UNDECLARED and the reason for each notebook, run nothing
#   --as-installed    with --list: as if exactly what a run installs were present, whatever this
#                     machine has (a dry run anywhere; the tests use it)
#   --install         set up (install or unpack) and stop
#   --data DIR        datasets folder, read first (CNNBOOK_DATA_DIR)
#   --wheels DIR      offline run from DIR's wheels or pack (see OFFLINE)
#   --build-wheels DIR  [--have FILE]   download the offline wheel set into DIR (needs a network)
#   --pack DIR        turn DIR/*.whl into DIR/site-cpXY.tar.xz
#   -h, --help        this text
# Environment: PYTHON (the interpreter that makes the venv, or the offline one; default python3),
#   GPU_VENV, TORCH_INDEX, TORCH_SPEC, GPU_CONSTRAINTS, GPU_TARGET_PY, SITE_DIR, CELL_TIMEOUT
#   (default 1800 s), GPU_PROFILE (default full), REPORT_DIR (default _build/gpu: the plan and a
#   JUnit XML report), PYTEST_ARGS (extra pytest arguments, e.g. "-x").
# Exit status: pytest's, or 1 when a notebook is UNDECLARED, nothing can run, no CUDA GPU is
# found or setup fails; 2 for a bad option or chapter name.
set -euo pipefail

CALLER_DIR="$PWD"  # folders given as arguments are relative to it
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
GPU_VENV="${GPU_VENV:-.gpu/venv}"
TORCH_INDEX="${TORCH_INDEX:-}"
LOCK=requirements/cpu-lock.txt
GPU_CONSTRAINTS="${GPU_CONSTRAINTS-$LOCK}"
REQUIREMENTS=requirements/gpu.txt
GPU_TARGET_PY="${GPU_TARGET_PY:-3.12}"
SITE_DIR="${SITE_DIR:-.gpu/site}"
CELL_TIMEOUT="${CELL_TIMEOUT:-1800}"
REPORT_DIR="${REPORT_DIR:-_build/gpu}"
SHIM_DIR="$ROOT/tools/glue_shim"
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64
  --platform manylinux2014_x86_64 --platform any)
# Left out of the offline set: torch's own dependencies (the GPU machine has torch), what a
# headless kernel never imports, and h5py (Keras imports it only for its weight files).
NOT_CARRIED=(torch nvidia_* triton filelock typing_extensions sympy mpmath networkx jinja2
  markupsafe fsspec setuptools debugpy jedi parso h5py)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "gpu_notebooks: $*" >&2; exit 1; }
absolute() { if [[ "$1" == /* ]]; then echo "$1"; else echo "$CALLER_DIR/$1"; fi; }
norm() { local n="${1,,}"; n="${n//[-.]/_}"; echo "${n%%[=<>~!; ]*}"; }

LIST=0 AS_INSTALLED=0 INSTALL_ONLY=0 WHEELS="" DATA="" BUILD="" PACK="" HAVE="" CHAPTERS=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --list) LIST=1 ;;
    --as-installed) AS_INSTALLED=1 ;;
    --install) INSTALL_ONLY=1 ;;
    --wheels|--data|--build-wheels|--pack|--have)
      (($# >= 2)) || { echo "$1 needs a folder or file" >&2; exit 2; }
      case "$1" in
        --wheels) WHEELS="$(absolute "$2")" ;; --data) DATA="$(absolute "$2")" ;;
        --build-wheels) BUILD="$(absolute "$2")" ;; --pack) PACK="$(absolute "$2")" ;;
        --have) HAVE="$(absolute "$2")" ;;
      esac
      shift ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) CHAPTERS+=("$1") ;;
  esac
  shift
done
PACKED_NAME="site-cp${GPU_TARGET_PY//./}.tar.xz"

# --- the offline wheel set (on a machine with a network) ---------------------------------------
constraints() {  # the lock as pip constraints, without its torch line (torch comes first)
  [[ -n "$GPU_CONSTRAINTS" ]] || return 0
  mkdir -p .gpu && grep -v '^torch==' "$GPU_CONSTRAINTS" > .gpu/constraints.txt
  echo .gpu/constraints.txt
}

build_wheels() {
  local dir="$1" c f dist wanted
  mkdir -p "$dir"
  c="$(constraints)"
  mapfile -t wanted < <(grep -v '^#' "$REQUIREMENTS" | grep -v 'online only' | sed 's/#.*//;/^ *$/d')
  "$PYTHON" -m pip download --quiet --only-binary=:all: --python-version "$GPU_TARGET_PY" \
    --implementation cp "${PLATFORMS[@]}" -d "$dir" ${c:+-c "$c"} "${wanted[@]}"
  declare -A have=([numpy]=1)
  if [[ -n "$HAVE" ]]; then
    have=()
    while read -r f; do [[ -z "$f" || "$f" == \#* ]] || have[$(norm "$f")]=1; done < "$HAVE"
  fi
  for f in "$dir"/*.whl; do
    dist="$(basename "$f")"
    dist="$(norm "${dist%%-[0-9]*}")"
    local gone=0 pattern
    # shellcheck disable=SC2053  # the patterns are globs (nvidia_*) on purpose
    for pattern in "${NOT_CARRIED[@]}"; do [[ "$dist" == $pattern ]] && gone=1; done
    [[ -n "${have[$dist]:-}" ]] && gone=1
    ((gone)) && { rm "$f"; echo "not carried: $(basename "$f")"; }
  done
  local wheels=("$dir"/*.whl)
  echo "wheel set: $(du -cb "${wheels[@]}" | tail -1 | cut -f1) bytes in ${#wheels[@]} wheels"
}

pack_site() {
  local dir="$1" stage
  compgen -G "$dir/*.whl" >/dev/null || die "no wheels in $dir: run --build-wheels $dir"
  stage="$(mktemp -d)"
  "$PYTHON" -m pip install --quiet --no-index --no-deps --no-compile --target "$stage" \
    --python-version "$GPU_TARGET_PY" --implementation cp --only-binary=:all: "${PLATFORMS[@]}" \
    "$dir"/*.whl
  # bytecode is rebuilt on import; test suites are never imported by a run; most wheels ship
  # their compiled modules with symbol tables, which a run does not need either
  find "$stage" \( -name __pycache__ -o -name tests \) -type d -prune -exec rm -rf {} +
  find "$stage" -name '*_test.py' -delete
  if command -v strip >/dev/null; then
    find "$stage" \( -name '*.so' -o -name '*.so.*' \) -type f -exec strip --strip-unneeded {} +
  else
    echo "strip (binutils) not found: the pack keeps symbol tables and is about 4 MB larger"
  fi
  XZ_OPT=-9e tar -cJf "$dir/$PACKED_NAME" -C "$stage" .
  rm -rf "$stage" "$dir"/*.whl
  echo "packed: $(stat -c %s "$dir/$PACKED_NAME") bytes in $dir/$PACKED_NAME"
}

[[ -n "$BUILD" ]] && { build_wheels "$BUILD"; exit 0; }
[[ -n "$PACK" ]] && { pack_site "$PACK"; exit 0; }

# --- the interpreter and its packages ----------------------------------------------------------
OFFLINE=0
[[ -n "$WHEELS" ]] && OFFLINE=1
if [[ -n "$DATA" ]]; then
  [[ -d "$DATA" ]] || die "--data $DATA is not a folder"
  export CNNBOOK_DATA_DIR="$DATA"
fi
if [[ -n "${CNNBOOK_DATA_DIR:-}" ]]; then
  [[ -d "$CNNBOOK_DATA_DIR" ]] || die "CNNBOOK_DATA_DIR=$CNNBOOK_DATA_DIR is not a folder"
  CNNBOOK_DATA_DIR="$(cd "$CNNBOOK_DATA_DIR" && pwd)"
fi
if ((OFFLINE)) || [[ "$GPU_VENV" == none || ! -x "$GPU_VENV/bin/python" ]]; then
  PY="$PYTHON"
else
  PY="$ROOT/$GPU_VENV/bin/python"
fi

setup_online() {
  if [[ "$GPU_VENV" != none ]]; then
    [[ -x "$GPU_VENV/bin/python" ]] || "$PYTHON" -m venv "$GPU_VENV"
    PY="$ROOT/$GPU_VENV/bin/python"
  fi
  if "$PY" -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' 2>/dev/null; then
    echo "torch: $("$PY" -c 'import torch; print(torch.__version__)') is a CUDA build, kept"
  else
    "$PY" -m pip uninstall --quiet --yes torch 2>/dev/null || true  # a CPU build, if any
    local spec="${TORCH_SPEC:-}"
    if [[ -n "$TORCH_INDEX" ]]; then
      echo "torch: ${spec:=torch} from $TORCH_INDEX"
      "$PY" -m pip install --quiet --index-url "$TORCH_INDEX" "$spec"
    else
      : "${spec:=$(grep -E '^torch==' "$LOCK" | sed 's/+.*//')}"
      echo "torch: $spec from PyPI (a CUDA build on Linux x86_64)"
      "$PY" -m pip install --quiet "$spec"
    fi
  fi
  local c
  c="$(constraints)"
  echo "installing $REQUIREMENTS${c:+ (versions from $GPU_CONSTRAINTS)}"
  "$PY" -m pip install --quiet -r "$REQUIREMENTS" ${c:+-c "$c"}
}

setup_offline() {
  [[ -d "$WHEELS" ]] || die "--wheels $WHEELS is not a folder"
  rm -rf "$SITE_DIR" && mkdir -p "$SITE_DIR"
  if compgen -G "$WHEELS/*.whl" >/dev/null; then
    local wheels=("$WHEELS"/*.whl)
    echo "installing ${#wheels[@]} wheels from $WHEELS into $SITE_DIR, no index"
    "$PY" -m pip install --quiet --no-index --no-deps --upgrade --target "$SITE_DIR" \
      "${wheels[@]}"
  elif [[ -f "$WHEELS/$PACKED_NAME" ]]; then
    echo "unpacking $WHEELS/$PACKED_NAME into $SITE_DIR"
    "$PY" -c 'import sys, tarfile; t = tarfile.open(sys.argv[1]); t.extraction_filter = getattr(
tarfile, "data_filter", None); t.extractall(sys.argv[2])' "$WHEELS/$PACKED_NAME" "$SITE_DIR"
  else
    die "$WHEELS holds neither *.whl nor $PACKED_NAME (see --build-wheels, --pack)"
  fi
}

paths() {  # PYTHONPATH: the offline site, the repository, the glue shim when myst_nb is missing
  local path="$ROOT"
  ((OFFLINE)) && [[ -d "$SITE_DIR" ]] && path="$(cd "$SITE_DIR" && pwd):$path"
  path="$path${PYTHONPATH:+:$PYTHONPATH}"
  if ! PYTHONPATH="$path" "$PY" -c 'import importlib.util as u, sys
sys.exit(u.find_spec("myst_nb") is None)' 2>/dev/null; then
    path="$path:$SHIM_DIR"
  fi
  export PYTHONPATH="$path"
}

select_notebooks() {
  local args=()
  ((OFFLINE)) && args+=(--offline)
  "$PY" -m tools.gpu_select ${args[@]+"${args[@]}"} "$@" ${CHAPTERS[@]+"${CHAPTERS[@]}"}
}

export KERAS_BACKEND=torch
if ((LIST)); then
  if ((AS_INSTALLED)); then
    mode=online
    ((OFFLINE)) && mode=offline
    set -- --as-installed "$mode"
  else
    set --
    paths
  fi
  select_notebooks "$@" | awk -F'\t' '{printf "%-10s %-40s %s\n", $1, $2, $3}'
  exit "${PIPESTATUS[0]}"
fi

if ((OFFLINE)); then setup_offline; else setup_online; fi
paths
((INSTALL_ONLY)) && { echo "installed; PYTHONPATH=$PYTHONPATH"; exit 0; }

# --- a run ---------------------------------------------------------------------------------------
if ((OFFLINE)); then export CNNBOOK_OFFLINE=1; fi
export CNNBOOK_PROFILE="${GPU_PROFILE:-full}" CNNBOOK_PROGRESS=0 PYTHONHASHSEED=0
export TF_CPP_MIN_LOG_LEVEL=1 JUPYTER_PLATFORM_DIRS=1
export MPLCONFIGDIR="${MPLCONFIGDIR:-$ROOT/.gpu/mpl}"
[[ -n "${CNNBOOK_DATA_DIR:-}" ]] && export CNNBOOK_DATA_DIR

"$PY" - <<'EOF'
import sys

import torch

if not torch.cuda.is_available():
    sys.exit(f"gpu_notebooks: torch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU. "
             "Check `nvidia-smi`; for a driver older than this build needs, use one of PyTorch's "
             "CUDA indexes: TORCH_INDEX=https://download.pytorch.org/whl/cu126 (see --help). On a "
             "CPU machine use `make test-notebooks`.")
print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}, "
      f"Python {sys.version.split()[0]}")
missing = [m for m in ("nbval", "ipykernel", "nbclient", "keras", "matplotlib", "pooch", "tqdm")
           if __import__("importlib.util").util.find_spec(m) is None]
if missing:
    sys.exit(f"gpu_notebooks: missing {', '.join(missing)} (see --help: SETUP)")
EOF

mkdir -p "$REPORT_DIR"
PLAN="$(select_notebooks)" || exit $?  # gpu_select said why
mapfile -t LINES <<<"$PLAN"
printf '%s\n' "${LINES[@]}" > "$REPORT_DIR/plan.tsv"
RUN=() UNDECLARED=0
for line in "${LINES[@]}"; do
  IFS=$'\t' read -r status path reason <<<"$line"
  printf '%-10s %-40s %s\n' "$status" "$path" "$reason"
  case "$status" in
    RUN) RUN+=("$path") ;;
    UNDECLARED) UNDECLARED=1 ;;
  esac
done
((${#RUN[@]})) || die "no notebook to run (see the reasons above)"

if ! ((OFFLINE)); then  # download what the chosen chapters read, before they start
  mapfile -t NEEDED < <(select_notebooks --data-needed)
  if ((${#NEEDED[@]})); then
    "$PY" - "${NEEDED[@]}" <<'EOF'
import sys

from cnnbook.datasets.fetch import resolve

for name in sys.argv[1:]:
    print(f"data {name}: {resolve(name).describe()}")
EOF
  fi
fi

status=0
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of words on purpose
"$PY" -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout="$CELL_TIMEOUT" \
  -p no:cacheprovider -p tools.gpu_nbval --junitxml="$REPORT_DIR/nbval.xml" \
  ${PYTEST_ARGS:-} "${RUN[@]}" || status=$?
if ((UNDECLARED)); then
  echo "FAILED: a notebook imports a module that is missing here, or loads a dataset, without" \
       'declaring it; add metadata {"cnnbook": {"requires": [...], "data": [...]}} (see' \
       "UNDECLARED above)" >&2
  ((status)) || status=1
fi
exit "$status"
