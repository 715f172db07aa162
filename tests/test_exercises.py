"""Each exercise checker accepts the worked solution, computed here another way (by hand, or by
torch), and refuses a recorded wrong answer with one line that does not give the answer away."""

from __future__ import annotations

import pytest

from cnnbook import exercises
from cnnbook.ops import conv_output_size

# checker: (the solution, worked out here; a wrong answer a learner might give)
CASES = {
    "check_channels_and_filters_1": ((5 * 5 * 3 + 1) * 16, 5 * 5 * 3 * 16),  # no bias: wrong
    "check_channels_and_filters_2": ((64, 11, 11), (64, 13, 13)),
    # 16 x 28 x 28 outputs, each with 3,072 weights and a bias
    "check_channels_and_filters_3": ((3 * 32 * 32 + 1) * 16 * 28 * 28, 3 * 32 * 32 * 16),
    "check_hierarchy_1": (10, 7),  # 3, 5, 6, then + 2 x 2; forgetting the jump gives 8 - 1
    "check_hierarchy_2": (8, 6),
    "check_hierarchy_3": (7, 14),  # 1 + 4n >= 28; 14 forgets the dilation
    "check_convolution_1": (26, 25),
    "check_convolution_2": ([[-1, 0, 0], [0, 1, 0], [0, 2, 1]],  # turned by 180 degrees
                            [[0, 2, 1], [0, 1, 0], [-1, 0, 0]]),  # flipped one way only
    "check_convolution_3": (1 / 9, 1 / 3),
    "check_pooling_1": (([[4, 5], [6, 3]], [[2.5, 2], [2.25, 1.75]]),
                        ([[4, 5], [6, 3]], [[2.5, 2], [2.25, 2]])),
    "check_pooling_2": ([[0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]],
                        [[0.25] * 4] * 4),
    "check_pooling_3": (6, 5),
    # (28 + 2 - 5) // 2 + 1; forgetting the floor gives 13.5 -> 14
    "check_padding_stride_dilation_1": (13, 14),
    # span d(k - 1) + 1 = 5; side 28 - 5 + 1 = 24; the undilated side is 26
    "check_padding_stride_dilation_2": ((5, 24), (3, 26)),
    # 14 outputs, (13 * 2 + 3 - 28) = 1 zero, at the end
    "check_padding_stride_dilation_3": ((14, 0, 1), (14, 1, 1)),
    # 0 or 1 / 0.2 = 5; variance p / (1 - p) = 4
    "check_layers_1": ((0, 5, 4), (0, 1.25, 0.16)),
    "check_layers_5": ((0.01, 0.25), (0.1, 0.5)),
    # 3 * 3 * 128 * 256; x 64 positions; 9 * 128 + 128 * 256; x 64
    "check_architectures_1": ((294_912, 18_874_368, 33_920, 2_170_880),
                              (294_912, 18_874_368, 33_920, 33_920 * 64 * 9)),
    # 1 + 2n >= 32 -> 16; conv conv pool conv conv pool conv conv -> 3, 5, 6, 10, 14, 16, 24, 32
    "check_architectures_2": ((16, 6), (15, 8)),
    # conv1 456 + conv2 2,416 + 16 * 10 + 10
    "check_architectures_3": (456 + 2_416 + 170, 62_006),
    # 160 features x 5 classes + 5 biases
    "check_transfer_learning_1": (805, 322),
}


def test_every_checker_has_a_case():
    assert set(CASES) == {name for name in exercises.__all__ if name.startswith("check_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_checker_accepts_the_solution_and_refuses_a_wrong_answer(name, capsys):
    check = getattr(exercises, name)
    solution, wrong = CASES[name]
    assert check(solution) is True
    assert capsys.readouterr().out == "Right.\n"
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and out.count("\n") == 1, out
    shown = [v for v in (solution if isinstance(solution, tuple) else (solution,))
             if isinstance(v, (int, float)) and v not in (0, 1)]
    assert not any(f"{v:,}" in out or str(v) in out.split() for v in shown), out


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_answer_of_the_wrong_form_is_refused_not_raised(name, capsys):
    assert getattr(exercises, name)("thirteen") is False
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_the_solutions_against_another_reference():
    torch = pytest.importorskip("torch", reason="torch is the reference")
    x = torch.zeros(1, 1, 28, 28)
    assert torch.nn.Conv2d(1, 1, 5, 2, 1)(x).shape[-1] == conv_output_size(28, 5, 2, 1) == 13
    assert torch.nn.Conv2d(1, 1, 3, dilation=2)(x).shape[-1] == 24
    full = torch.nn.Conv2d(128, 256, 3, padding=1, bias=False)
    separable = torch.nn.Sequential(torch.nn.Conv2d(128, 128, 3, padding=1, groups=128,
                                                    bias=False),
                                    torch.nn.Conv2d(128, 256, 1, bias=False))
    assert sum(p.numel() for p in full.parameters()) == 294_912
    assert sum(p.numel() for p in separable.parameters()) == 33_920
    x = torch.tensor(exercises.POOLING_X)[None, None].requires_grad_()
    torch.nn.functional.max_pool2d(x, 2).sum().backward()
    assert torch.equal(x.grad[0, 0], torch.tensor(CASES["check_pooling_2"][0],
                                                  dtype=x.dtype))
    k = torch.tensor(exercises.CONVOLUTION_K)[None, None]
    image = torch.arange(25.0, dtype=k.dtype).reshape(1, 1, 5, 5)
    flipped = torch.tensor(CASES["check_convolution_2"][0], dtype=k.dtype)[None, None]
    import scipy.signal

    true_convolution = scipy.signal.convolve2d(image[0, 0].numpy(), k[0, 0].numpy(), "valid")
    assert torch.allclose(torch.nn.functional.conv2d(image, flipped)[0, 0],
                          torch.from_numpy(true_convolution))
    import cnnbook.exercises

    assert "torch" not in cnnbook.exercises.__dict__  # light
