"""Transfer learning's API: freezing by module name, parameter groups, frozen batch norms kept
in evaluation mode by ``fit`` (as Keras keeps a non-trainable ``BatchNormalization``), and a
checkpoint's backbone under a new head, with its one-line errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="transfer learning trains torch models")
pytest.importorskip("safetensors", reason="checkpoints are safetensors")
nn = torch.nn

from cnnbook.models import catalogue, count_params
from cnnbook.saving.torch_checkpoint import save_checkpoint
from cnnbook.training import fit
from cnnbook.training.transfer import (
    freeze,
    hold_frozen_norms,
    load_backbone,
    param_groups,
    unfreeze,
)


def _resnet(num_classes: int = 2, **kwargs) -> nn.Module:
    torch.manual_seed(0)
    return catalogue.get("cifar_resnet_small").build("torch", num_classes=num_classes, **kwargs)


def test_freeze_and_unfreeze_by_module_name():
    net = _resnet()
    total = count_params(net)
    head = sum(p.numel() for p in net.fc.parameters())
    frozen = freeze(net)
    assert count_params(net) == 0 and len(frozen) == len(list(net.parameters()))
    assert unfreeze(net, "fc") == ["fc.weight", "fc.bias"]
    assert count_params(net) == head
    unfreeze(net, "res1.conv2")  # a module inside a block
    assert count_params(net) == head + net.res1.conv2.weight.numel()
    assert freeze(net, "fc") == ["fc.weight", "fc.bias"] and unfreeze(net) != []
    assert count_params(net) == total
    with pytest.raises(ValueError, match="has no module 'head'; its top-level modules: conv1, "):
        freeze(net, "head")


def test_a_name_holds_whole_name_parts_only():
    net = nn.Module()
    net.conv1, net.conv10 = nn.Conv2d(1, 1, 1), nn.Conv2d(1, 1, 1)
    assert freeze(net, "conv1") == ["conv1.weight", "conv1.bias"]
    assert net.conv10.weight.requires_grad


def test_param_groups_give_each_module_its_rate():
    net = _resnet()
    freeze(net, "conv1")
    groups = param_groups(net, {"fc": 0.1, "res1": 0.01, "res1.conv2": 0.001}, rest=0.005)
    by_lr = {g["lr"]: g["names"] for g in groups}
    assert by_lr[0.1] == ["fc.weight", "fc.bias"]
    assert by_lr[0.001] == ["res1.conv2.weight"]
    assert all(n.startswith("res1.") and not n.startswith("res1.conv2") for n in by_lr[0.01])
    assert not any(n.startswith("conv1.") for g in groups for n in g["names"])  # frozen
    named = {n for g in groups for n in g["names"]}
    assert named == {n for n, p in net.named_parameters() if p.requires_grad}
    optimizer = torch.optim.SGD(groups, lr=1.0)  # torch keeps the "names" key of a group
    assert sorted(g["lr"] for g in optimizer.param_groups) == [0.001, 0.005, 0.01, 0.1]
    with pytest.raises(ValueError, match="trainable parameters are in none of 'fc'.*give rest="):
        param_groups(net, {"fc": 0.1})
    with pytest.raises(ValueError, match="has no module 'head'"):
        param_groups(net, {"head": 0.1}, rest=0.1)


def test_fit_keeps_frozen_batch_norms_and_weights_and_trains_the_head():
    net = _resnet()
    freeze(net)
    unfreeze(net, "fc")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 2, (32,))
    fit(net, (x, y), epochs=1, batch_size=8, verbose=0, device="cpu",
        optimizer=torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1))
    after = net.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"fc.weight", "fc.bias"}  # running statistics included: unchanged
    net.train()
    assert "bn1" in hold_frozen_norms(net) and not net.bn1.training and net.fc.training
    unfreeze(net)
    net.train()
    assert hold_frozen_norms(net) == [] and net.bn1.training


def test_keras_runs_a_non_trainable_batch_norm_on_its_moving_statistics():
    """The reference for ``hold_frozen_norms``: Keras 3's ``BatchNormalization`` with
    ``trainable=False`` gives its inference output even when called with ``training=True``."""
    import os

    import numpy as np

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    keras = pytest.importorskip("keras", reason="Keras is the reference")

    layer = keras.layers.BatchNormalization()
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 4, 4, 3)).astype("float32")
    layer(x, training=True)
    layer.trainable = False
    frozen = keras.ops.convert_to_numpy(layer(x, training=True))
    inference = keras.ops.convert_to_numpy(layer(x, training=False))
    np.testing.assert_allclose(frozen, inference)


def test_load_backbone_copies_all_but_the_head(tmp_path):
    pretrained = _resnet(num_classes=8)
    with torch.no_grad():
        pretrained.bn1.running_mean.fill_(0.5)  # a buffer, copied like the weights
    save_checkpoint(tmp_path / "ckpt", pretrained, name="cifar_resnet_small", epoch=3,
                    model_kwargs={"num_classes": 8})
    torch.manual_seed(1)
    net = catalogue.get("cifar_resnet_small").build("torch", num_classes=2)
    head = net.fc.weight.clone()
    copied = load_backbone(net, tmp_path / "ckpt", head="fc")
    assert "bn1.running_mean" in copied and not any(k.startswith("fc.") for k in copied)
    for key, value in pretrained.state_dict().items():
        if not key.startswith("fc."):
            assert torch.equal(net.state_dict()[key], value), key
    assert torch.equal(net.fc.weight, head)
    features = {}
    for model, tag in ((pretrained, "pre"), (net, "new")):
        model.eval().global_pool.register_forward_hook(
            lambda _m, _i, out, tag=tag: features.__setitem__(tag, out))
        model(torch.ones(2, 3, 32, 32))
    assert torch.equal(features["pre"], features["new"])  # the same backbone


def test_load_backbone_refuses_what_does_not_fit_in_one_line(tmp_path):
    save_checkpoint(tmp_path / "small", catalogue.get("cifar_small").build("torch"),
                    name="cifar_small", epoch=1)
    narrow = catalogue.get("cifar_resnet_small").build("torch", widths=[8, 16, 32])
    save_checkpoint(tmp_path / "narrow", narrow, name="cifar_resnet_small", epoch=1,
                    model_kwargs={"widths": [8, 16, 32]})
    net = _resnet()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(ValueError, match="holds 'cifar_small', the model is 'cifar_resnet_small'"):
        load_backbone(net, tmp_path / "small")
    with pytest.raises(ValueError, match=r"conv1.weight is \(8, 3, 3, 3\) in the checkpoint and "
                                         r"\(40, 3, 3, 3\) in the model"):
        load_backbone(net, tmp_path / "narrow")
    with pytest.raises(ValueError, match="has no module 'classifier'"):
        load_backbone(net, tmp_path / "narrow", head="classifier")
    plain = nn.Sequential(nn.Conv2d(3, 4, 3))  # no catalogue name: the tensors must agree
    with pytest.raises(ValueError, match="tensors outside the head 0 do not match"):
        load_backbone(plain, tmp_path / "small", head="0")
    with pytest.raises(FileNotFoundError):
        load_backbone(net, tmp_path / "nowhere")
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())  # untouched
