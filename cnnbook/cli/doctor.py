"""``python -m cnnbook doctor``: what this machine offers the book: versions, settings and the
devices torch sees (each CUDA GPU and Apple's MPS with its name and memory, the CPU with its
cores and torch's threads). ``--json`` prints the same as one JSON object.

Only torch is imported (TensorFlow and Keras are reported by their installed versions, never
loaded); without torch the devices are the CPU's cores alone, with the extra to install.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from cnnbook import config
from cnnbook._optional import install_hint
from cnnbook.report import installed_versions

GIB = 1024 ** 3


def devices() -> dict[str, Any]:
    """What torch sees: ``{"auto": what --device auto picks, "devices": one dict per device,
    "torch_missing": the install command when torch is missing, else None}``.

    CUDA devices carry ``name``, ``memory_bytes`` (total) and ``capability``; MPS its
    recommended working set as ``memory_bytes`` (None where torch cannot say); the CPU its
    ``cores`` and ``torch_threads``.
    """
    cpu: dict[str, Any] = {"device": "cpu", "cores": os.cpu_count(), "torch_threads": None}
    try:
        import torch
    except ImportError:
        return {"auto": "cpu", "devices": [cpu], "torch_missing": install_hint("torch")}
    found: list[dict[str, Any]] = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            found.append({"device": f"cuda:{i}", "name": props.name,
                          "memory_bytes": int(props.total_memory),
                          "capability": f"{props.major}.{props.minor}"})
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        recommended = getattr(torch.mps, "recommended_max_memory", None)  # torch >= 2.5
        found.append({"device": "mps", "name": "Apple MPS",
                      "memory_bytes": int(recommended()) if recommended else None})
    cpu["torch_threads"] = torch.get_num_threads()
    auto = "cuda" if any(d["device"].startswith("cuda") for d in found) else (
        "mps" if found else "cpu")
    return {"auto": auto, "devices": [*found, cpu], "torch_missing": None}


def _describe(device: dict[str, Any]) -> str:
    if device["device"] == "cpu":
        threads = device["torch_threads"]
        return (f"{device['cores']} cores"
                + (f", torch uses {threads} threads" if threads is not None else ""))
    memory = device["memory_bytes"]
    text = device["name"] + (f", {memory / GIB:.1f} GiB" if memory is not None else "")
    return text + (f", compute capability {device['capability']}" if "capability" in device
                   else "")


def run(args: argparse.Namespace) -> int:
    data_dir = config.data_dir()
    report = {
        "versions": installed_versions(),
        "settings": {"profile": config.get_profile().name,
                     "data_dir": str(data_dir) if data_dir else None,
                     "cache_dir": str(config.cache_dir()), "offline": config.offline()},
        **devices(),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, version in report["versions"].items():
        print(f"{name:>15}: {version or '-'}")
    print(f"{'profile':>15}: {config.get_profile().describe().removeprefix('profile: ')}")
    print(f"{'data dir':>15}: {data_dir or '- (unset: downloads)'}")
    print(f"{'cache dir':>15}: {config.cache_dir()}")
    print(f"{'offline':>15}: {config.offline()}")
    for device in report["devices"]:
        print(f"{device['device']:>15}: {_describe(device)}")
    if report["torch_missing"]:
        print(f"{'devices':>15}: only the CPU without torch: {report['torch_missing']}")
    print(f"{'--device auto':>15}: {report['auto']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="show versions, settings and the devices torch sees")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.set_defaults(func=run)
