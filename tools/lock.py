"""The pinned sets, one per platform, resolved from public indexes: `make lock` and its test.

    python -m tools.lock            # regenerate requirements/{cpu,macos,windows}-lock.txt
    python -m tools.lock --check    # resolve each lock for its platform from the public index

Every lock comes from ``requirements/top-cpu.txt`` (the top-level pins), adapted per platform:

=========  ==========================  ================================================
platform   uv's ``--python-platform``  what differs
=========  ==========================  ================================================
linux      x86_64-unknown-linux-gnu    ``torch==X+cpu`` from PyTorch's CPU wheel index
macos      aarch64-apple-darwin (14+)  plain ``torch`` and ``tensorflow`` (MPS; no -cpu wheels)
windows    x86_64-pc-windows-msvc      plain ``torch`` (its Windows wheels are CPU builds)
=========  ==========================  ================================================

``uv pip compile`` evaluates environment markers for the target platform (``pip install --dry-run
--platform`` evaluates them for the machine it runs on), keeps index URLs out of the file and uses
an existing lock's pins as preferences, so a re-lock changes only what must change. It runs with
pip's and uv's configuration switched off: the public package index only.

PyTorch's CPU index is named only for the Linux lock's torch line, in the Makefile's first install
step. Where that index cannot be reached (a build machine without internet), ``CNNBOOK_LOCK_TORCH_
WHEELS`` may name a local folder holding the same ``+cpu`` wheel; it stands in for the index while
locking and is never written into a lock. ``--check`` then resolves the Linux lock with the index's
``torch==X`` standing in for ``X+cpu`` and says so.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
TOP = REQUIREMENTS / "top-cpu.txt"
PYPI = "https://pypi.org/simple"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PYTHON_VERSION = "3.11.5"  # the oldest Python every lock installs on (soupsieve needs 3.11.5)
WHEELS_VAR = "CNNBOOK_LOCK_TORCH_WHEELS"
REQUIRE_VAR = "CNNBOOK_REQUIRE_INDEX"


@dataclass(frozen=True)
class Platform:
    name: str
    target: str
    lock: Path
    torch_cpu_build: bool  # torch's +cpu local version, from PyTorch's own index
    tensorflow: str  # the TensorFlow distribution with wheels there
    macos: str = ""  # MACOSX_DEPLOYMENT_TARGET

    def describe(self) -> str:
        torch = "torch +cpu from PyTorch's CPU index" if self.torch_cpu_build else "torch from PyPI"
        return f"{self.target}{f' (macOS {self.macos}+)' if self.macos else ''}: {torch}, " \
               f"{self.tensorflow}"


PLATFORMS = {
    "linux": Platform("linux", "x86_64-unknown-linux-gnu", REQUIREMENTS / "cpu-lock.txt", True,
                      "tensorflow-cpu"),
    "macos": Platform("macos", "aarch64-apple-darwin", REQUIREMENTS / "macos-lock.txt", False,
                      "tensorflow", macos="14.0"),
    "windows": Platform("windows", "x86_64-pc-windows-msvc", REQUIREMENTS / "windows-lock.txt",
                        False, "tensorflow-cpu"),
}


def clean_env(platform: Platform) -> dict[str, str]:
    """The environment with pip's and uv's configuration and local wheel folders switched off."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_")) and k != "MACOSX_DEPLOYMENT_TARGET"}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1")
    if platform.macos:
        env["MACOSX_DEPLOYMENT_TARGET"] = platform.macos
    return env


def top_for(platform: Platform, text: str) -> str:
    """``top-cpu.txt`` adapted to ``platform`` (the torch build, the TensorFlow distribution)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("torch=="):
            version = line.split("==", 1)[1].split("+")[0]
            line = f"torch=={version}+cpu" if platform.torch_cpu_build else f"torch=={version}"
        elif line.startswith("tensorflow-cpu=="):
            line = f"{platform.tensorflow}=={line.split('==', 1)[1]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def index_answers(url: str, timeout: float = 10.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/", timeout=timeout):
            return True
    except (urllib.error.URLError, OSError):
        return False


def uv() -> str:
    exe = Path(sys.executable).with_name("uv")
    if not exe.exists():
        raise SystemExit("uv is not installed in this environment: run `make setup` first")
    return str(exe)


def compile_lock(platform: Platform, source: Path, output: Path,
                 extra: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``uv pip compile source -o output`` for ``platform`` from the public index only."""
    command = [uv(), "pip", "compile", str(source), "-o", str(output), "--quiet",
               "--python-platform", platform.target, "--python-version", PYTHON_VERSION,
               "--index-url", PYPI, "--no-header", "--no-emit-index-url",
               "--no-emit-find-links", *(extra or [])]
    return subprocess.run(command, env=clean_env(platform), capture_output=True, text=True,
                          timeout=600)


def header(platform: Platform) -> str:
    lines = [f"# Generated by `make lock` (python -m tools.lock) from requirements/top-cpu.txt for "
             f"Python >= {PYTHON_VERSION}, < 3.12",
             f"# on {platform.describe()}."]
    if platform.torch_cpu_build:
        lines.append(f"# torch's +cpu build is served by {TORCH_CPU_INDEX} (the Makefile's first "
                     "install step names it);")
        lines.append("# every other line comes from PyPI.")
    return "\n".join(lines) + "\n"


def torch_source(platform: Platform) -> list[str]:
    """uv options that find torch's +cpu wheel: PyTorch's index, or the local stand-in folder."""
    if not platform.torch_cpu_build:
        return []
    if index_answers(TORCH_CPU_INDEX):
        return ["--extra-index-url", TORCH_CPU_INDEX, "--index-strategy", "unsafe-best-match"]
    folder = os.environ.get(WHEELS_VAR, "").strip()
    if not folder:
        raise SystemExit(f"{TORCH_CPU_INDEX} does not answer here; set {WHEELS_VAR} to a folder "
                         "with the same +cpu wheel to lock anyway")
    return ["--find-links", folder]


def relock(platforms: list[Platform]) -> None:
    top = TOP.read_text()
    for platform in platforms:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "top.txt"
            source.write_text(top_for(platform, top))
            output = Path(tmp) / "lock.txt"
            if platform.lock.exists():  # its pins are preferences: a re-lock moves nothing else
                output.write_text(platform.lock.read_text())
            result = compile_lock(platform, source, output, torch_source(platform))
            if result.returncode != 0:
                raise SystemExit(f"{platform.name}: uv pip compile failed:\n{result.stderr}")
            text = output.read_text().replace(f"-r {source}", "-r requirements/top-cpu.txt")
            platform.lock.write_text(header(platform) + text)
        print(f"wrote {platform.lock.relative_to(ROOT)} ({platform.describe()})")


def pins(text: str) -> dict[str, str]:
    """``{normalised name: version}`` of every ``name==version`` line."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


@dataclass
class Checked:
    platform: str
    ok: bool
    seconds: float
    note: str


def check(platform: Platform) -> Checked:
    """Resolve ``platform``'s lock, as it is, for that platform, from the public index only."""
    text = platform.lock.read_text()
    extra: list[str] = []
    note = "resolved as locked"
    if platform.torch_cpu_build:
        if index_answers(TORCH_CPU_INDEX):
            extra = ["--extra-index-url", TORCH_CPU_INDEX, "--index-strategy", "unsafe-best-match"]
        else:
            text = re.sub(r"^torch==([^\s+]+)\+cpu", r"torch==\1", text, flags=re.MULTILINE)
            note = ("PyTorch's CPU index does not answer here: PyPI's torch stood in for the "
                    "+cpu build")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "lock.txt"
        source.write_text(text)
        output = Path(tmp) / "out.txt"
        start = time.perf_counter()
        result = compile_lock(platform, source, output, extra)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            return Checked(platform.name, False, seconds, result.stderr.strip()[-2000:])
        wanted, got = pins(text), pins(output.read_text())
        moved = {name: (v, got.get(name)) for name, v in wanted.items() if got.get(name) != v}
        if moved:
            return Checked(platform.name, False, seconds, f"pins moved: {moved}")
    return Checked(platform.name, True, seconds, note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="resolve each lock, change nothing")
    parser.add_argument("platforms", nargs="*", help=f"some of: {', '.join(PLATFORMS)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.platforms) - set(PLATFORMS))
    if unknown:
        parser.error(f"unknown platform {', '.join(unknown)}; choose from {', '.join(PLATFORMS)}")
    chosen = [PLATFORMS[name] for name in (args.platforms or PLATFORMS)]
    if not args.check:
        relock(chosen)
        return 0
    failed = False
    for platform in chosen:
        result = check(platform)
        failed |= not result.ok
        print(f"{'ok  ' if result.ok else 'FAIL'} {platform.name:8s} {result.seconds:5.1f} s  "
              f"{platform.describe()}: {result.note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
