"""Each exercise checker accepts the worked solution, computed here another way (by hand, or by
torch), and refuses a recorded wrong answer with one line that does not give the answer away."""

from __future__ import annotations

import math

import pytest

from cnnbook import exercises
from cnnbook.ops import conv_output_size

# checker: (the solution, worked out here; a wrong answer a learner might give)
CASES = {
    # np.arange(12).reshape(2, 2, 3).transpose(2, 0, 1).ravel(); the wrong one is its inverse
    "check_three_frameworks_1": ([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11],
                                 [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]),
    # 32 -> 30 -> 15 -> 13 -> 6 (floor); 6 * 6 * 64 = 2,304 inputs to fc1 (128 units); the wrong
    # answer forgets that the unpadded convolutions shrink the map (32 / 2 / 2 = 8)
    "check_three_frameworks_2": (((6, 6, 64), (2304, 128), (128, 2304)),
                                 ((8, 8, 64), (4096, 128), (128, 4096))),
    # c * 25 + s == s * 64 + c  <=>  8c == 21s: (c, s) = (0, 0), (21, 8), (42, 16), (63, 24);
    # the wrong answer counts the first and the last position only
    "check_three_frameworks_3": (4, 2),
    # 0.6 * 5,000 / 3,000 and 1.0 * 5,000 / 4,000; the wrong answer swaps them
    "check_speed_1": ((1.0, 1.25), (1.25, 1.0)),
    # 2 ** -7; 1.001 lies below 1 + 2 ** -8, so it rounds back to 1 (the wrong answer keeps it)
    "check_speed_2": ((2 ** -7, 1.0), (2 ** -8, 1.001)),
    # 256 / 4 images each; ceil(5,000 / 256) steps; the wrong answer gives each process the whole
    # batch and a quarter of the data
    "check_speed_3": ((64, 20), (256, 5)),
    # the models that take 1 x 28 x 28 images and output 10 scores; post_keras_fcn is a
    # segmentation model
    "check_use_outside_1": (["post_tensorflow", "post_keras", "mnist_mlp"],
                            ["post_tensorflow", "post_keras", "mnist_mlp", "post_keras_fcn"]),
    # the longer side becomes 20, the shorter 30 * 20 / 150; the wrong answer keeps it square
    "check_use_outside_2": ((20, 4), (20, 20)),
    # (0 - 0.1307) / 0.3081 and (1 - 0.1307) / 0.3081; the wrong answer forgets the std
    "check_use_outside_3": ((-0.1307 / 0.3081, 0.8693 / 0.3081), (-0.1307, 0.8693)),
    # z = (2, 1, 0), class 1: loss log(e^2 + e + 1) - 1; gradient softmax(z) - onehot(1);
    # the wrong answer has the gradient's sign flipped (onehot - p)
    "check_features_to_prediction_1": (
        (math.log(math.e**2 + math.e + 1) - 1,
         [math.e**2 / (math.e**2 + math.e + 1), math.e / (math.e**2 + math.e + 1) - 1,
          1 / (math.e**2 + math.e + 1)]),
        (math.log(math.e**2 + math.e + 1) - 1,
         [-math.e**2 / (math.e**2 + math.e + 1), 1 - math.e / (math.e**2 + math.e + 1),
          -1 / (math.e**2 + math.e + 1)])),
    # NCHW: 5 * 13 * 13 + 2 * 13 + 3; NHWC: (2 * 13 + 3) * 32 + 5; the same index twice is wrong
    "check_features_to_prediction_2": ((874, 933), (874, 874)),
    # softmax of (1, 0, ..., 0) over K = 100: -log(e / (e + 99)); K = 10's floor is wrong here
    "check_features_to_prediction_3": (math.log(1 + 99 / math.e), math.log(1 + 9 / math.e)),
    # the NumPy array: clipped at -log(1e-7); the tensor: exact, log(e^40 + 9); both clipped: wrong
    "check_keras_internals_1": ((-math.log(1e-7), math.log(math.exp(40) + 9)),
                                (-math.log(1e-7), -math.log(1e-7))),
    # -0.1 * 5 * (p - onehot(0)) with p = softmax of (0, 5, 0, ...): W[1, 1] -0.5 p_1, W[1, 0]
    # +0.5 (1 - p_0); the step taken with the gradient instead of against it is wrong
    "check_keras_internals_2": ((-0.5 * math.exp(5) / (math.exp(5) + 9),
                                 0.5 * (1 - 1 / (math.exp(5) + 9))),
                                (0.5 * math.exp(5) / (math.exp(5) + 9),
                                 -0.5 * (1 - 1 / (math.exp(5) + 9)))),
    # epsilon 1e-4: the logit-30 row is clipped at -log(1e-4), the logit-5 row stays exact,
    # log(e^5 + 9); keeping the default epsilon's cap is wrong
    "check_keras_internals_3": ((-math.log(1e-4), math.log(math.exp(5) + 9)),
                                (-math.log(1e-7), math.log(math.exp(5) + 9))),
    # at w = 0: g = -Y / 2; dw[u, v] = sum g[i, j] X[i + u, j + v]; the sign flipped is wrong
    "check_learning_a_filter_1": ([[-0.5, -4], [-0.5, 0]], [[0.5, 4], [0.5, 0]]),
    # w1 = -0.1 g0 = [[.05, .4], [.05, 0]]; g1 = [[.725, -.95], [.725, 1.55]]; v2 = 0.9 g0 + g1;
    # w2 = w1 - 0.1 v2; plain gradient descent's second step (w1 - 0.1 g1) is wrong
    "check_learning_a_filter_2": ([[0.0225, 0.855], [0.0225, -0.155]],
                                  [[-0.0225, 0.495], [-0.0225, -0.155]]),
    # linear in the kernel: 2 Sobel x - Sobel x transposed, and the constant as the bias;
    # forgetting the bias is wrong
    "check_learning_a_filter_3": (
        ([[-1, 2, 3], [-4, 0, 4], [-3, -2, 1]], 0.5),
        ([[-1, 2, 3], [-4, 0, 4], [-3, -2, 1]], 0.0)),
    # conv4 after pool3 (field 30, jump 8): 30 + 2 x 8; forgetting the jump gives 32
    "check_what_it_learned_1": (46, 32),
    # one edge: every gradient parallel; the cross looks the same turned by 90 degrees, so both
    # directions carry the same energy
    "check_what_it_learned_2": ((1, 0), (1, 0.5)),
    # means 1 and 5 around 3: between 2 x 4 + 2 x 4 = 16 of total 9 + 1 + 1 + 9 = 20; a common
    # scale cancels
    "check_what_it_learned_3": ((0.8, 0.8), (0.8, 8)),
    # (32 - 8) / 4 + 1 = 7 starts per side, (28 - 6) / 2 + 1 = 12; 32 / 4 and 28 / 2 are wrong
    "check_attribution_1": ((49, 144), (64, 196)),
    # squaring keeps the ranking; ranks (1, 2, 3, 4) against (4, 2, 3, 1): 1 - 6 x 18 / 60;
    # Pearson's r of a and a squared is a near miss
    "check_attribution_2": ((1, -0.8), (0.97, -0.8)),
    # 12 of 24 on the ink, which is 4 of 16 pixels: 0.5 - 0.25; grown by 1 the ink is everything;
    # forgetting to subtract the area gives the shares themselves
    "check_attribution_3": ((0.25, 0), (0.5, 1)),
    # conv1 32 x (3 x 3 x 1 + 1); fc1 (32 x 13 x 13 + 1) x 10; without the biases: wrong
    "check_draw_a_digit_1": ((320, 54_090), (288, 54_080)),
    # the longer side 100 -> 20, the shorter 45 x 20 / 100 = 9; (20, 9) swaps rows and columns
    "check_draw_a_digit_2": ((9, 20), (20, 9)),
    # fitted to 20 x 10, mass at (9.5, 4.5) -> 14 - 9.5 + 0.5, 14 - 4.5 + 0.5; the box's centre
    # would give (28 - 20) / 2, (28 - 10) / 2
    "check_draw_a_digit_3": ((5, 10), (4, 9)),
    # 3x3 conv, then 2x2 pool: 3 + (2 - 1) x 1, jump 1 x 2; the pool window alone gives 2
    "check_draw_a_digit_4": ((4, 2), (2, 2)),
    # (8 - 1) x 2 + 2 = 16; (8 - 1) x 2 - 2 + 3 = 15, forgetting the padding's crop gives 17
    "check_segmentation_1": ((16, 15), (16, 17)),
    # shifted: 2 x 20 / (4 x 20); thin: 20 / 60; 2/3 divides by the true stroke only
    "check_segmentation_2": ((0.5, 1 / 3), (2 / 3, 1 / 3)),
    # 90 / 100; (80/86 + 6/16 + 4/8) / 3; recall instead of IoU: (80/84 + 6/10 + 4/6) / 3
    "check_segmentation_3": ((0.9, (80 / 86 + 6 / 16 + 4 / 8) / 3),
                             (0.9, (80 / 84 + 6 / 10 + 4 / 6) / 3)),
    # background IoU (4096 - 410) / 4096, the 3's IoU 0, two classes present; over 11: wrong
    "check_segmentation_4": ((3686 / 4096, 3686 / 4096 / 2), (3686 / 4096, 3686 / 4096 / 11)),
    # 10 x 20 shared, 600 + 600 - 200 covered; 1/3 divides by one box's area
    "check_detection_1": (200 / 1000, 200 / 600),
    # IoU with box 0: 0.72 (gone), 0.20, 0.47 (kept; box 1, gone, suppresses nothing)
    "check_detection_2": ([0, 2, 3], [0, 2]),
    # 3x3 maxima: (1, 1) 0.9, (2, 3) 0.6, (4, 4) 0.35 below 0.4; all cells >= 0.4: wrong
    "check_detection_3": ([(1, 1), (2, 3)], [(1, 1), (2, 1), (2, 3), (2, 4)]),
    # centre (3.5 x 4, 3.25 x 4) = (14, 13), size 8 x 20; corner at the centre: wrong
    "check_detection_4": ((10, 3, 18, 23), (14, 13, 22, 33)),
    # precision 1 up to recall 0.5 (51 of the 101 points), then 2/3 (50 points); the area
    # under the curve, 5/6, skips COCO's 101 points
    "check_detection_5": ((51 + 50 * 2 / 3) / 101, 5 / 6),
    # 48 -> 46 -> 23 -> 21 -> 10: 64 * 10 * 10 inputs, x 128 weights + 128 biases; rounding
    # 10.5 up instead gives 64 * 11 * 11
    "check_pytorch_example_1": ((6_400, 6_400 * 128 + 128), (7_744, 7_744 * 128 + 128)),
    # 32 -> 28 -> 14 -> 10 -> 5: conv1 5*5*3*32 + 32, conv2 5*5*32*64 + 64, fc1 64*5*5*128 + 128,
    # fc2 128*10 + 10; keeping fc1 at 64 * 6 * 6 inputs is the wrong answer
    "check_pytorch_example_2": (2_432 + 51_264 + 204_928 + 1_290,
                                2_432 + 51_264 + 295_040 + 1_290),
    # v: 1, 1.9, 2.71 and 1, -0.1, 0.91; plain sums give 3 and 1
    "check_pytorch_example_3": ((2.71, 0.91), (3, 1)),
    # 703 full batches of 64 hold 44,992 images; 8 are left for the last one
    "check_pytorch_example_4": ((704, 8), (703, 64)),
    # 0.2 / 25; cos(pi / 2) = 0 halfway down: (0.2 + final) / 2; 0.2 / 25 / 1e4
    "check_training_well_1": ((0.008, (0.2 + 8e-7) / 2, 8e-7), (0.008, 0.1, 0.0)),
    # 0.9 + 0.1 / 100, 0.1 / 100; the entropy of that target
    "check_training_well_2": ((0.901, 0.001, -(0.901 * math.log(0.901)
                                               + 99 * 0.001 * math.log(0.001))),
                              (0.9, 0.001, 0.0)),
    # 100 / sqrt(n) = 2 -> n = 50 ** 2; ten times that; forgetting the square gives 50
    "check_training_well_3": ((2_500, 25_000), (50, 500)),
    # 128 x 32 x 32 x 3 bytes, four times that as float32; forgetting the channels
    "check_data_1": ((128 * 32 * 32 * 3, 4 * 128 * 32 * 32 * 3),
                     (128 * 32 * 32, 4 * 128 * 32 * 32)),
    # red 0, 1, 1, 1; green 0, 0, 1, 1; blue 0, 0, 0, 1 (after / 255); the wrong std divides by 3
    "check_data_2": (([0.75, 0.5, 0.25], [0.75 ** 0.5 / 2, 0.5, 0.75 ** 0.5 / 2]),
                     ([0.75, 0.5, 0.25], [0.5, 1 / 3 ** 0.5, 0.5])),
    # s -> s -> s // 2 -> s // 2 -> s // 4 == 6; 30..33 is the unpadded answer
    "check_data_3": ([24, 25, 26, 27], [30, 31, 32, 33]),
    # 25 = 10 x 2 + 5: the first five digits get one more
    "check_data_4": ([3, 3, 3, 3, 3, 2, 2, 2, 2, 2], [2.5] * 10),
    # (3 x 3 x 3 + 1) x 32; 15 x 15 x 32 x 10 + 10; the wrong one keeps conv1 as for MNIST
    "check_tensorflow_example_1": ((896, 72_010), (320, 72_010)),
    # 24 -> 12: 12 x 12 x 32 = 4,608; (25 + 1) x 32 + 4,608 x 10 + 10
    "check_tensorflow_example_2": ((4_608, 832 + 46_090), (4_608, 54_410 + 512)),
    # 26 x 26 x 32 x 9; 5,408 x 10; the wrong one gives the parameters
    "check_tensorflow_example_3": ((194_688, 54_080), (320, 54_090)),
    # choosing the epoch on the test set makes the reported number optimistic
    "check_tensorflow_example_4": ("b", "a"),
    # (9 x 32 + 1) x 32; 5 x 5 x 32 x 128 + 128; the wrong one keeps conv2's 64 filters
    "check_keras_example_1": ((9_248, 102_528), (18_496, 102_528)),
    # 5 -> 3 -> 1; field 10 + 2 x 4 = 18, then + 1 x 4 = 22; 18 stops at conv3
    "check_keras_example_2": ((1, 22), (1, 18)),
    # conv1 26 x 26 x 32 x 9, conv2 11 x 11 x 64 x 288, fc1 1,600 x 128, fc2 128 x 10; the
    # TensorFlow model: 26 x 26 x 32 x 9 + 5,408 x 10; the wrong one gives the convolutions only
    "check_keras_example_3": ((194_688 + 2_230_272 + 204_800 + 1_280, 194_688 + 54_080),
                              (2_230_272, 194_688)),
    # 56 -> 54 -> 27 -> 25 -> 12: 12 x 12 x 64 = 9,216; 9,216 x 128 + 128; the wrong one
    # forgets the biases
    "check_keras_example_4": ((9_216, 9_216 * 128 + 128), (9_216, 9_216 * 128)),
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


def test_the_pytorch_example_solutions_against_torch():
    torch = pytest.importorskip("torch", reason="torch is the reference")
    from torch import nn

    net = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    flat = net(torch.zeros(1, 3, 48, 48)).shape[1]
    assert (flat, sum(p.numel() for p in nn.Linear(flat, 128).parameters())) == CASES[
        "check_pytorch_example_1"][0]
    five = nn.Sequential(nn.Conv2d(3, 32, 5), nn.MaxPool2d(2), nn.Conv2d(32, 64, 5),
                         nn.MaxPool2d(2), nn.Flatten(), nn.LazyLinear(128), nn.Linear(128, 10))
    five(torch.zeros(1, 3, 32, 32))
    assert sum(p.numel() for p in five.parameters()) == CASES["check_pytorch_example_2"][0]
    velocities = []
    for gradients in ([1.0, 1.0, 1.0], [1.0, -1.0, 1.0]):
        w = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=1.0, momentum=0.9)
        for g in gradients:
            optimizer.zero_grad()
            (g * w).sum().backward()
            optimizer.step()
        velocities.append(optimizer.state[w]["momentum_buffer"].item())
    assert velocities == pytest.approx(CASES["check_pytorch_example_3"][0])
    loader = torch.utils.data.DataLoader(torch.zeros(45_000), batch_size=64)
    assert (len(loader), len(list(loader)[-1])) == CASES["check_pytorch_example_4"][0]


def test_the_training_well_solutions_against_torch():
    torch = pytest.importorskip("torch", reason="torch is the reference")
    from cnnbook.exercises.training_well import one_cycle_lr
    from cnnbook.training.recipe import get_recipe

    for max_lr, epochs, steps in ((0.2, 10, 100), (0.05, 6, 29), (0.1, 3, 7)):
        w = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=max_lr)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps)
        options = get_recipe("onecycle").fit_options(  # the recipe keeps the defaults
            torch.nn.Linear(1, 1), epochs=epochs, steps_per_epoch=steps, max_lr=max_lr)
        total = epochs * steps
        for step in range(total):
            expected = one_cycle_lr(step, max_lr=max_lr, total_steps=total)
            assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-9, abs=1e-15)
            assert options["scheduler"].get_last_lr()[0] == pytest.approx(expected, rel=1e-9,
                                                                           abs=1e-15)
            for opt, sched in ((optimizer, scheduler),
                               (options["optimizer"], options["scheduler"])):
                opt.step()
                sched.step()
    assert [one_cycle_lr(s, max_lr=0.2, total_steps=1000) for s in (0, 649, 999)] == (
        pytest.approx(CASES["check_training_well_1"][0]))
    true, other, lowest = CASES["check_training_well_2"][0]
    target = torch.full((1, 100), other, dtype=torch.float64)
    target[0, 0] = true
    logits = target.log().requires_grad_()
    smallest = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(logits, torch.tensor([0]))
    smallest.backward()
    assert smallest.item() == pytest.approx(lowest)
    assert logits.grad.abs().max().item() < 1e-12  # a minimum: the gradient vanishes there


def test_the_post_model_solutions_against_torch():
    """The data, TensorFlow-example and Keras-example solutions, by torch layers and numpy."""
    torch = pytest.importorskip("torch", reason="torch is the reference")
    import numpy as np
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    from cnnbook.exercises.data import DATA_X

    def params(*layers):
        return [sum(p.numel() for p in layer.parameters()) for layer in layers]

    def flat(net, side, channels=1):
        return net(torch.zeros(1, channels, side, side)).flatten(1).shape[1]

    def macs(net, side):
        with FlopCounterMode(display=False) as counter:
            net(torch.zeros(1, 1, side, side))
        return counter.get_total_flops() // 2

    block = [nn.ReLU(), nn.MaxPool2d(2)]
    pixels = DATA_X.reshape(-1, 3) / 255
    mean, std = CASES["check_data_2"][0]
    assert (pixels.mean(0).tolist(), pixels.std(0).tolist()) == (pytest.approx(mean),
                                                                 pytest.approx(std))
    assert np.zeros((128, 32, 32, 3), np.uint8).nbytes == CASES["check_data_1"][0][0]
    padded = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), *block,
                           nn.Conv2d(64, 64, 3, padding=1), *block)
    sides = [s for s in range(10, 129) if padded(torch.zeros(1, 3, s, s)).shape[-1] == 6]
    assert sides == CASES["check_data_3"][0]
    conv = nn.Sequential(nn.Conv2d(3, 32, 3), *block)
    assert params(conv[0], nn.Linear(flat(conv, 32, 3), 10)) == list(
        CASES["check_tensorflow_example_1"][0])
    conv = nn.Sequential(nn.Conv2d(1, 32, 5), *block)
    length = flat(conv, 28)
    assert (length, sum(params(conv, nn.Linear(length, 10)))) == (
        CASES["check_tensorflow_example_2"][0])
    conv = nn.Sequential(nn.Conv2d(1, 32, 3), *block, nn.Flatten())
    assert (macs(conv, 28), macs(nn.Sequential(conv, nn.Linear(5408, 10)), 28) - macs(
        conv, 28)) == CASES["check_tensorflow_example_3"][0]
    narrow = nn.Sequential(nn.Conv2d(1, 32, 3), *block, nn.Conv2d(32, 32, 3), *block)
    assert params(narrow[3], nn.Linear(flat(narrow, 28), 128)) == list(
        CASES["check_keras_example_1"][0])
    keras_convs = nn.Sequential(nn.Conv2d(1, 32, 3), *block, nn.Conv2d(32, 64, 3), *block)
    third = nn.Sequential(keras_convs, nn.Conv2d(64, 128, 3), *block)
    assert third(torch.zeros(1, 1, 28, 28)).shape[-1] == CASES["check_keras_example_2"][0][0]
    keras_net = nn.Sequential(keras_convs, nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(),
                              nn.Linear(128, 10))
    tf_net = nn.Sequential(conv, nn.Linear(5408, 10))
    assert (macs(keras_net, 28), macs(tf_net, 28)) == CASES["check_keras_example_3"][0]
    length = flat(keras_convs, 56)
    assert (length, *params(nn.Linear(length, 128))) == CASES["check_keras_example_4"][0]


def test_the_where_chapters_solutions_against_other_references():
    """Segmentation's and detection's exercises against scikit-learn, torch and pycocotools,
    where they are installed, and by hand."""
    import numpy as np

    from cnnbook.exercises import DETECTION_BOXES, DETECTION_HEATMAP, SEGMENTATION_CONFUSION
    from cnnbook.metrics import box_iou

    # IoU by hand: x overlap 30 - 20, y overlap 40 - 20; two areas of 20 x 30
    assert box_iou(DETECTION_BOXES[:1], DETECTION_BOXES[2:3])[0, 0] == 200 / (600 + 600 - 200)
    sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the reference")
    # the confusion matrix as pixels: true class, predicted class, repeated count times
    c = SEGMENTATION_CONFUSION
    true = np.repeat(np.repeat(np.arange(3), 3), c.ravel())
    pred = np.repeat(np.tile(np.arange(3), 3), c.ravel())
    assert sklearn.accuracy_score(true, pred) == pytest.approx(0.9)
    assert sklearn.jaccard_score(true, pred, average="macro") == pytest.approx(
        (80 / 86 + 6 / 16 + 4 / 8) / 3)
    mask = pytest.importorskip("pycocotools.mask", reason="pycocotools is the reference")
    corner, far = DETECTION_BOXES[:, :2], DETECTION_BOXES[:, 2:]
    xywh = np.column_stack([corner, far - corner])
    np.testing.assert_allclose(mask.iou(xywh, xywh, [0] * 4), box_iou(DETECTION_BOXES,
                                                                       DETECTION_BOXES))
    pytest.importorskip("pycocotools.cocoeval", reason="pycocotools is the reference")
    from cnnbook.metrics.coco import coco_reference

    # detection 5: hit, miss, hit on two ground-truth boxes of one class
    gt, det = np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array(
        [[0, 0, 10, 10], [40, 40, 50, 50], [20, 20, 30, 30]])
    ref = coco_reference([gt], [np.zeros(2, int)], [det], [np.array([0.9, 0.8, 0.7])],
                         [np.zeros(3, int)], num_classes=1)
    assert ref.stats[1] == pytest.approx((51 + 50 * 2 / 3) / 101)
    torch = pytest.importorskip("torch", reason="torch is the reference")
    x = torch.zeros(1, 1, 8, 8)
    assert torch.nn.ConvTranspose2d(1, 1, 2, stride=2)(x).shape[-1] == 16
    assert torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)(x).shape[-1] == 15
    # CenterNet's peak finding: a 3x3 max pooling, stride 1, padding 1, equal to the input
    heat = torch.tensor(DETECTION_HEATMAP)[None, None]
    top = torch.nn.functional.max_pool2d(heat, 3, stride=1, padding=1) == heat
    kept = {tuple(rc) for rc in torch.nonzero(top[0, 0] & (heat[0, 0] >= 0.4)).tolist()}
    assert kept == {(1, 1), (2, 3)}


def test_the_exercises_of_learning_a_filter_and_features_to_prediction_against_torch():
    torch = pytest.importorskip("torch", reason="torch is the reference")
    x = torch.tensor(exercises.LEARNING_A_FILTER_X)[None, None]
    y = torch.tensor(exercises.LEARNING_A_FILTER_Y)[None, None]
    w = torch.zeros(1, 1, 2, 2, dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    for step in range(2):
        optimizer.zero_grad()
        torch.mean((torch.nn.functional.conv2d(x, w) - y) ** 2).backward()
        if step == 0:  # exercise 1: the gradient at zero
            assert torch.allclose(w.grad[0, 0], torch.tensor(
                CASES["check_learning_a_filter_1"][0], dtype=x.dtype))
        optimizer.step()
    assert torch.allclose(w.detach()[0, 0], torch.tensor(  # exercise 2: two momentum steps
        CASES["check_learning_a_filter_2"][0], dtype=x.dtype))
    sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
    kernel, bias = CASES["check_learning_a_filter_3"][0]
    image = torch.rand(1, 1, 9, 9, dtype=torch.float64)
    target = (2 * torch.nn.functional.conv2d(image, sobel[None, None])
              - torch.nn.functional.conv2d(image, sobel.T[None, None]) + 0.5)
    assert torch.allclose(torch.nn.functional.conv2d(
        image, torch.tensor(kernel, dtype=torch.float64)[None, None],
        torch.tensor([bias], dtype=torch.float64)), target)
    z = torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(z, torch.tensor([1]))
    loss.backward()
    solution = CASES["check_features_to_prediction_1"][0]
    assert loss.item() == pytest.approx(solution[0])
    assert torch.allclose(z.grad[0], torch.tensor(solution[1], dtype=torch.float64))
    # the doubled softmax at its best, K = 100
    best = torch.nn.functional.softmax(torch.tensor([[1e4] + [0.0] * 99]), dim=1)
    floor = torch.nn.functional.cross_entropy(best, torch.tensor([0])).item()
    assert floor == pytest.approx(CASES["check_features_to_prediction_3"][0], rel=1e-5)
    nchw = torch.arange(32 * 13 * 13).reshape(1, 32, 13, 13)
    value = nchw[0, 5, 2, 3]
    positions = (int((nchw.flatten() == value).nonzero()),
                 int((nchw.permute(0, 2, 3, 1).flatten() == value).nonzero()))
    assert positions == CASES["check_features_to_prediction_2"][0]


def test_the_under_the_hood_solutions_against_the_frameworks():
    torch = pytest.importorskip("torch", reason="torch is the reference")
    pytest.importorskip("keras", reason="the port module needs Keras")
    from cnnbook.exercises.speed import _bf16, _bf16_gap_above_one
    from cnnbook.exercises.three_frameworks import _torch_order
    from cnnbook.models.port import flatten_permutation

    for shape in ((2, 2, 3), (5, 5, 64), (6, 6, 64), (1, 3, 2)):
        assert (_torch_order(*shape) == flatten_permutation(*shape)).all()
    assert _bf16_gap_above_one() == torch.finfo(torch.bfloat16).eps
    for value in (1.001, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -9, 0.1, -2.5e-3, 3.14159):
        assert _bf16(value) == torch.tensor(value).to(torch.bfloat16).item(), value
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(32, 64, 3), torch.nn.MaxPool2d(2))
    assert net(torch.zeros(1, 3, 32, 32)).shape == (1, 64, 6, 6)
