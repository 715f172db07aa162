"""The post's CNNs in torch: parameter counts, computed flatten sizes, logits, NCHW."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook.models import count_params, layer_table
from cnnbook.models.torch_nets import PostKeras, PostPytorch, PostTensorflow
from cnnbook.ops import conv_output_size


@pytest.mark.parametrize("cls, expected", [
    (PostTensorflow, 54_410), (PostKeras, 225_034), (PostPytorch, 315_722)])
def test_parameter_counts_match_the_post(cls, expected):
    model = cls()
    assert count_params(model) == expected
    assert sum(p.numel() for p in model.parameters()) == expected


def test_flatten_size_is_the_posts_64_6_6_at_32x32():
    assert PostPytorch().flat_features == 64 * 6 * 6


@pytest.mark.parametrize("size", [28, 36, 64])
def test_flatten_size_adapts_to_the_input_size(size):
    model = PostPytorch(input_size=size)
    side = size
    for _ in range(2):  # conv 3x3 valid, then pool 2x2
        side = conv_output_size(conv_output_size(side, 3), 2, stride=2)
    assert model.flat_features == 64 * side * side
    model.eval()
    assert model(torch.zeros(2, 3, size, size)).shape == (2, 10)


def test_grayscale_variant_of_the_pytorch_net():
    model = PostPytorch(in_channels=1, input_size=28, num_classes=7).eval()
    assert model(torch.rand(4, 1, 28, 28)).shape == (4, 7)


@pytest.mark.parametrize("cls, shape", [
    (PostTensorflow, (5, 1, 28, 28)), (PostKeras, (5, 1, 28, 28)),
    (PostPytorch, (5, 3, 32, 32))])
def test_forward_returns_logits_not_probabilities(cls, shape):
    torch.manual_seed(0)
    model = cls().eval()
    logits = model(torch.rand(shape) * 50)
    assert logits.shape == (shape[0], 10)
    # Softmax outputs would lie in [0, 1] and sum to 1; logits do not.
    assert not torch.allclose(logits.sum(dim=1), torch.ones(shape[0]))
    assert (logits < 0).any()


def test_dropout_is_on_in_train_mode_and_off_in_eval_mode():
    torch.manual_seed(0)
    model = PostPytorch()
    x = torch.rand(3, 3, 32, 32)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_too_small_input_is_a_clear_error():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 3)
    with pytest.raises(ValueError, match="too small"):
        PostPytorch(input_size=8)


class PostCNN(torch.nn.Module):
    """The post's class, verbatim (hard-coded 64 * 6 * 6): the reference for the architecture."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(3, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        F = torch.nn.functional
        x = self.dropout(self.pool(F.relu(self.conv1(x))))
        x = self.dropout(self.pool(F.relu(self.conv2(x))))
        x = x.view(-1, 64 * 6 * 6)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def test_layer_table_matches_the_posts_class_call_by_call():
    ours, post = PostPytorch(), PostCNN()
    table = layer_table(ours, (3, 32, 32))
    assert table == layer_table(post, (3, 32, 32))
    assert [row[0] for row in table].count("Dropout") == 3
    assert table[4] == ("MaxPool2d", (64, 6, 6), 0)
    assert ours.training  # the mode is restored
    # Same parameter names and shapes: the post's weights load into ours unchanged.
    ours.load_state_dict(post.state_dict())
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(ours.eval()(x), post.eval()(x))
