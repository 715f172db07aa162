"""One framework in its own process: trains or times one catalogue model on request.

Started by :mod:`cnnbook.benchmarks.runner` as ``python -m cnnbook.benchmarks.worker --framework
NAME --model MODEL`` (a Keras backend is fixed when Keras is first imported, so each backend needs
a process).
It reads one JSON request per line on stdin and answers one line ``@@cnnbook {json}`` on stdout;
anything else a framework prints goes to stderr. Requests:

- ``{"task": "ready"}``: versions and the import time (the runner waits for every worker to be
  ready before timing anything, so imports do not compete with measurements).
- ``{"task": "speed", "batch_size": B, "steps": S, "seed": s}``: images/s for training (S steps of
  B images) and for inference over the same images. The first request at a batch size builds the
  model and warms it up untimed (lazy imports, graph tracing); later ones reuse that model.
- ``{"task": "train", "limit": L, "test_limit": T, "epochs": E, "batch_size": B, "seed": s}``:
  train on ``L`` images of the model's dataset (``None``: all), return the accuracy on ``T`` test
  images and the seconds the training took.
- ``{"task": "exit"}``.

The model is a catalogue entry with both builders (default ``post_keras``), built in Keras or in
torch (:mod:`cnnbook.models.catalogue`); the data for ``speed`` are the same seeded random images
for every framework (NHWC for Keras, the same values NCHW for torch).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnbook.arrays import batches
from cnnbook.models import catalogue
from cnnbook.models.catalogue import ModelEntry

FRAMEWORKS = ("keras/tensorflow", "keras/torch", "keras/jax", "torch loop", "cnnbook fit")
PREFIX = "@@cnnbook "
DEFAULT_MODEL = "post_keras"


def synthetic(entry: ModelEntry, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random images shaped for ``entry``, NHWC float32 in [0, 1), and labels ``(n,)``."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, *entry.input_shape("keras")), dtype=np.float32)  # (n, H, W, C)
    return x, rng.integers(0, 10, n).astype(np.int64)


def dataset(entry: ModelEntry, limit: int | None, test_limit: int | None, seed: int):
    """``entry``'s dataset as NHWC float32 in [0, 1]: ``(x_train, y_train), (x_test, y_test)``."""
    from cnnbook.datasets import load

    def prepare(x: np.ndarray) -> np.ndarray:
        x = x[..., None] if x.ndim == 3 else x  # (N, H, W) grey -> (N, H, W, 1)
        return (x / np.float32(255)).astype(np.float32)

    (x, y), (xt, yt) = load(entry.dataset, limit=limit, test_limit=test_limit, seed=seed)
    return (prepare(x), y.astype(np.int64)), (prepare(xt), yt.astype(np.int64))


class KerasSide:
    """The model's Keras builder on whatever backend ``KERAS_BACKEND`` names."""

    def __init__(self, entry: ModelEntry) -> None:
        import keras

        from cnnbook.models import keras_nets

        self.keras, self.nets, self.entry = keras, keras_nets, entry
        self.warm: dict[int, Any] = {}  # batch size -> model already warmed up by ``speed``

    def versions(self) -> dict[str, str]:
        return {"keras": self.keras.__version__, "backend": self.keras.backend.backend()}

    def model(self, seed: int):
        self.keras.utils.set_random_seed(seed)
        return self.nets.compile_like_post(self.entry.build("keras"), sparse_labels=True)

    def speed(self, batch_size: int, steps: int, seed: int) -> dict[str, float]:
        x, y = synthetic(self.entry, batch_size * steps, seed)
        model = self.warm.get(batch_size)
        if model is None:  # first request at this batch size: build, then warm up (tracing)
            model = self.warm[batch_size] = self.model(seed)
            model.fit(x[: 2 * batch_size], y[: 2 * batch_size], batch_size=batch_size, verbose=0)
            model.predict(x[: 2 * batch_size], batch_size=batch_size, verbose=0)
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        model.predict(x, batch_size=batch_size, verbose=0)
        infer_s = time.perf_counter() - start
        return {"train_images_per_s": len(x) / train_s, "infer_images_per_s": len(x) / infer_s}

    def train(self, limit: int | None, test_limit: int | None, epochs: int, batch_size: int,
              seed: int) -> dict[str, Any]:
        (x, y), (xt, yt) = dataset(self.entry, limit, test_limit, seed)
        model = self.model(seed)
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        seconds = time.perf_counter() - start
        _, accuracy = model.evaluate(xt, yt, batch_size=1000, verbose=0)
        return {"accuracy": float(accuracy), "seconds": seconds, "train_images": len(x),
                "test_images": len(xt)}


class TorchSide:
    """The torch twin, trained by a hand-written loop (``loop``) or by ``cnnbook``'s ``fit``."""

    def __init__(self, entry: ModelEntry, use_fit: bool) -> None:
        import torch

        from cnnbook import training
        from cnnbook.training import loops

        self.torch, self.training, self.loops, self.entry = torch, training, loops, entry
        self.use_fit = use_fit
        self.device = training.resolve_device("auto")
        self.warm: dict[int, Any] = {}  # batch size -> (model, optimizer) warmed up by ``speed``

    def versions(self) -> dict[str, str]:
        return {"torch": self.torch.__version__, "device": str(self.device)}

    def sync(self) -> None:
        self.training.sync(self.device)

    def tensors(self, x: np.ndarray, y: np.ndarray):
        t = self.torch
        return (t.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(self.device),  # (N, C, H, W)
                t.from_numpy(y).to(self.device))  # (N,)

    def epoch(self, model, optimizer, x, y, batch_size: int, seed: int) -> None:
        """One epoch: ``fit`` or the minimal loop (shuffle, forward, loss, backward, step)."""
        t = self.torch
        if self.use_fit:
            self.training.fit(model, (x, y), epochs=1, optimizer=optimizer, batch_size=batch_size,
                              device=self.device, seed=seed, verbose=0)
            return
        batches = self.training.TensorBatches(x, y, batch_size, shuffle=True, seed=seed,
                                              device=self.device)
        self.loops.hand_written_epoch(model, batches, optimizer, t.nn.CrossEntropyLoss())
        self.sync()

    def predict(self, model, x, batch_size: int):
        t = self.torch
        if self.use_fit:
            return self.training.evaluate(model, (x, t.zeros(len(x), dtype=t.long,
                                                             device=self.device)),
                                          batch_size=batch_size, device=self.device)
        model.eval()
        with t.no_grad():
            out = t.cat([model(x[part]) for part in batches(len(x), batch_size)])
        self.sync()
        return out

    def model_and_optimizer(self, seed: int):
        self.torch.manual_seed(seed)
        model = self.entry.build("torch").to(self.device)
        return model, self.torch.optim.Adam(model.parameters(), lr=1e-3)  # Keras "adam"

    def speed(self, batch_size: int, steps: int, seed: int) -> dict[str, float]:
        x, y = self.tensors(*synthetic(self.entry, batch_size * steps, seed))
        if batch_size not in self.warm:  # first request at this batch size: warm up
            model, optimizer = self.warm[batch_size] = self.model_and_optimizer(seed)
            self.epoch(model, optimizer, x[: 2 * batch_size], y[: 2 * batch_size], batch_size,
                       seed)
            self.predict(model, x[: 2 * batch_size], batch_size)
        model, optimizer = self.warm[batch_size]
        start = time.perf_counter()
        self.epoch(model, optimizer, x, y, batch_size, seed)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        self.predict(model, x, batch_size)
        infer_s = time.perf_counter() - start
        return {"train_images_per_s": len(x) / train_s, "infer_images_per_s": len(x) / infer_s}

    def train(self, limit: int | None, test_limit: int | None, epochs: int, batch_size: int,
              seed: int) -> dict[str, Any]:
        (x, y), (xt, yt) = dataset(self.entry, limit, test_limit, seed)
        x, y = self.tensors(x, y)
        model, optimizer = self.model_and_optimizer(seed)
        start = time.perf_counter()
        for epoch in range(epochs):
            self.epoch(model, optimizer, x, y, batch_size, seed + epoch)
        seconds = time.perf_counter() - start
        xt, yt = self.tensors(xt, yt)
        accuracy = self.training.evaluate(model, (xt, yt), device=self.device)["accuracy"]
        return {"accuracy": accuracy, "seconds": seconds, "train_images": len(x),
                "test_images": len(xt)}


Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


def answer_requests(start: Callable[[], Handler]) -> None:
    """The worker side of the protocol, for every kind of worker: ``start()`` sets the worker up
    and returns its handler; then each stdin line is one JSON request ``{"task": ..., ...}``,
    answered with one line, :data:`PREFIX` + JSON, on the real stdout (the handler's answer, or
    ``{"error": "Type: message"}`` when it raises), until ``{"task": "exit"}``. Whatever the
    frameworks print, from ``start()`` on, goes to stderr, off the protocol channel."""
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        handle = start()
        for line in sys.stdin:
            request = json.loads(line)
            task = request.pop("task")
            if task == "exit":
                break
            try:
                answer = handle(task, request)
            except Exception as err:
                answer = {"error": f"{type(err).__name__}: {err}"}
            out.write(PREFIX + json.dumps(answer) + "\n")
            out.flush()
    finally:
        sys.stdout = out


def serve(framework: str, model: str = DEFAULT_MODEL) -> None:
    """Answer requests about catalogue ``model`` in ``framework`` from stdin until ``exit``."""

    def start() -> Handler:
        entry = catalogue.get(model)
        began = time.perf_counter()
        side: KerasSide | TorchSide
        if framework.startswith("keras/"):
            side = KerasSide(entry)
        else:
            side = TorchSide(entry, use_fit=framework == "cnnbook fit")
        import_s = time.perf_counter() - began

        def handle(task: str, request: dict[str, Any]) -> dict[str, Any]:
            if task == "ready":
                return {"import_s": import_s, **side.versions()}
            if task in ("speed", "train"):
                return dict(getattr(side, task)(**request))
            raise ValueError(f"unknown task {task!r}")

        return handle

    answer_requests(start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one framework, serving benchmark requests")
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--model", choices=[e.name for e in catalogue.entries(
        frameworks=("torch", "keras"))], default=DEFAULT_MODEL, help="a catalogue model")
    args = parser.parse_args(argv)
    if args.framework.startswith("keras/"):
        backend = args.framework.split("/", 1)[1]
        if os.environ.get("KERAS_BACKEND", backend) != backend:
            parser.error(f"KERAS_BACKEND={os.environ['KERAS_BACKEND']} but --framework "
                         f"{args.framework}")
        os.environ["KERAS_BACKEND"] = backend  # before the first `import keras`
    serve(args.framework, args.model)


if __name__ == "__main__":
    main()
