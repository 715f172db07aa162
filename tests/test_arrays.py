"""cnnbook.arrays (layouts, batch slices, tensors as NumPy) and the workers' request loop."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

from cnnbook import arrays
from cnnbook.benchmarks.worker import PREFIX, answer_requests


def test_layouts():
    assert arrays.LAYOUTS == ("NCHW", "NHWC")
    assert arrays.check_layout("NHWC") == "NHWC"
    with pytest.raises(ValueError, match="layout must be 'NCHW' or 'NHWC', got 'nchw'"):
        arrays.check_layout("nchw")


@pytest.mark.parametrize(("n", "size"), [(0, 3), (1, 3), (7, 3), (9, 3), (5, 10)])
def test_batches_cover_the_range_once_in_order(n, size):
    parts = list(arrays.batches(n, size))
    covered = np.concatenate([np.arange(n)[p] for p in parts]) if parts else np.array([])
    np.testing.assert_array_equal(covered, np.arange(n))
    assert all(p.stop - p.start == size for p in parts[:-1])
    if n:  # the same slices as torch.split's chunks (which gives one empty chunk of nothing)
        torch = pytest.importorskip("torch")
        assert [len(c) for c in torch.arange(n).split(size)] == [p.stop - p.start for p in parts]


def test_batches_refuse_a_size_below_one():
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        list(arrays.batches(4, 0))


def test_as_numpy_reads_a_tensor_with_a_gradient():
    torch = pytest.importorskip("torch")
    t = torch.arange(6.0, requires_grad=True).reshape(2, 3) * 2
    with pytest.raises(RuntimeError):
        np.asarray(t)  # what the helper is for
    np.testing.assert_array_equal(arrays.as_numpy(t), np.arange(6.0).reshape(2, 3) * 2)
    x = np.ones(3)
    assert arrays.as_numpy(x) is x and arrays.as_numpy([1, 2]) == [1, 2]


def test_the_request_loop_answers_each_line_and_keeps_prints_off_the_channel(monkeypatch):
    requests = [{"task": "ready"}, {"task": "add", "a": 1, "b": 2}, {"task": "add", "a": 1},
                {"task": "exit"}, {"task": "ready"}]
    stdin = io.StringIO("".join(json.dumps(r) + "\n" for r in requests))
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)

    def start():
        print("a framework's start-up line")

        def handle(task, request):
            print("noise while working")
            if task == "ready":
                return {"ok": True}
            return {"sum": request["a"] + request["b"]}

        return handle

    answer_requests(start)
    assert sys.stdout is stdout  # restored
    lines = stdout.getvalue().splitlines()
    assert all(line.startswith(PREFIX) for line in lines)
    assert [json.loads(line[len(PREFIX):]) for line in lines] == [
        {"ok": True}, {"sum": 3}, {"error": "KeyError: 'b'"}]  # nothing after exit
    assert "a framework's start-up line" in stderr.getvalue()
    assert stderr.getvalue().count("noise while working") == 3
