"""The LPIPS network (maps/metrics/_lpips_net.py): torchvision's layer layout, the taps and their
shapes, the scaling layer constants, unit normalisation and the layer-to-scalar/map sums."""

from __future__ import annotations

import copy

import pytest
import torch

from spotdiff.maps.metrics._lpips_net import (
    ARCHS,
    EPS,
    SCALE,
    SHIFT,
    LPIPSNet,
    build_features,
    layer_distances,
    lpips_from_layers,
    lpips_map_from_layers,
    scale_inputs,
    unit_normalize,
)


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    return {"alex": LPIPSNet("alex"), "vgg": LPIPSNet("vgg")}


def _inputs(n=2, size=(64, 48), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, *size, generator=g) * 2 - 1
    y = (x + 0.2 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    return x, y


# --- architecture: torchvision's features, lpips' taps and heads ---------------------------


@pytest.mark.parametrize(
    ("net", "convs", "first", "last", "taps", "heads"),
    [
        (
            "vgg",
            (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
            (64, 3, 3, 3),
            (512, 512, 3, 3),
            (4, 9, 16, 23, 30),
            (64, 128, 256, 512, 512),
        ),
        (
            "alex",
            (0, 3, 6, 8, 10),
            (64, 3, 11, 11),
            (256, 256, 3, 3),
            (2, 5, 8, 10, 12),
            (64, 192, 384, 256, 256),
        ),
    ],
)
def test_architecture_matches_torchvision_and_lpips(net, convs, first, last, taps, heads, nets):
    model = nets[net]
    state = model.state_dict()
    assert [k for k in state if k.startswith("features.")] == [
        f"features.{i}.{p}" for i in convs for p in ("weight", "bias")
    ]
    assert state[f"features.{convs[0]}.weight"].shape == first
    assert state[f"features.{convs[-1]}.weight"].shape == last
    assert model.arch.taps == taps and len(model.features) == taps[-1]
    assert all(isinstance(model.features[t - 1], torch.nn.ReLU) for t in taps)
    assert [tuple(h.weight.shape) for h in model.heads] == [(1, c, 1, 1) for c in heads]
    assert all(h.bias is None and (h.weight >= 0).all() for h in model.heads)
    assert model.arch.conv_indices() == convs


def test_layer_settings_are_torchvisions():
    alex = build_features(ARCHS["alex"])
    first = alex[0]
    assert (first.kernel_size, first.stride, first.padding) == ((11, 11), (4, 4), (2, 2))
    assert (alex[3].kernel_size, alex[3].padding) == ((5, 5), (2, 2))
    assert (alex[2].kernel_size, alex[2].stride) == (3, 2)
    vgg = build_features(ARCHS["vgg"])
    convs = [m for m in vgg if isinstance(m, torch.nn.Conv2d)]
    assert all(
        c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1) for c in convs
    )
    pools = [i for i, m in enumerate(vgg) if isinstance(m, torch.nn.MaxPool2d)]
    assert pools == [4, 9, 16, 23] and all(
        (vgg[i].kernel_size, vgg[i].stride) == (2, 2) for i in pools
    )
    assert all(m.inplace for m in vgg if isinstance(m, torch.nn.ReLU))


def test_network_is_frozen_in_eval_mode_with_no_buffers_in_its_state(nets):
    for model in nets.values():
        assert not model.training and model.sources == {}
        assert all(not p.requires_grad for p in model.parameters())
        assert not any(k in model.state_dict() for k in ("shift", "scale"))
        assert set(model.state_dict()) == {
            *(f"features.{i}.{p}" for i in model.arch.conv_indices() for p in ("weight", "bias")),
            *(f"heads.{k}.weight" for k in range(5)),
        }


# --- the scaling layer ------------------------------------------------------------------------


def test_scaling_layer_constants(nets):
    assert SHIFT == (-0.030, -0.088, -0.188) and SCALE == (0.458, 0.448, 0.450) and EPS == 1e-10
    net = nets["alex"]
    assert net.shift.shape == net.scale.shape == (1, 3, 1, 1)
    assert net.shift.flatten().tolist() == pytest.approx(SHIFT)
    assert net.scale.flatten().tolist() == pytest.approx(SCALE)
    x = torch.zeros(1, 3, 1, 2)
    x[0, :, 0, 1] = 1.0
    out = scale_inputs(x, net.shift, net.scale)
    expected_zero = (0.030 / 0.458, 0.088 / 0.448, 0.188 / 0.450)
    expected_one = (1.030 / 0.458, 1.088 / 0.448, 1.188 / 0.450)
    assert out[0, :, 0, 0].tolist() == pytest.approx(expected_zero, rel=1e-6)
    assert out[0, :, 0, 1].tolist() == pytest.approx(expected_one, rel=1e-6)
    assert copy.deepcopy(net).double().shift.dtype == torch.float64  # buffers follow .to()


# --- unit normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "out_dtype"),
    [(torch.float16, torch.float32), (torch.bfloat16, torch.float32),
     (torch.float32, torch.float32), (torch.float64, torch.float64)],
)  # fmt: skip
def test_unit_normalize_gives_unit_or_zero_vectors(dtype, out_dtype):
    f = torch.zeros(1, 2, 1, 3, dtype=dtype)
    f[0, :, 0, 0] = torch.tensor([3.0, 4.0])
    f[0, :, 0, 2] = torch.tensor([0.0, -2.0])
    out = unit_normalize(f)
    assert out.dtype == out_dtype
    assert out[0, :, 0, 0].tolist() == pytest.approx([0.6, 0.8], rel=1e-6)
    assert out[0, :, 0, 1].tolist() == [0.0, 0.0]  # all-zero ReLU vector: 0, not NaN
    assert out[0, :, 0, 2].tolist() == pytest.approx([0.0, -1.0], rel=1e-6)
    tiny = torch.full((1, 1, 1, 1), 1e-10, dtype=torch.float64)
    assert unit_normalize(tiny).item() == pytest.approx(0.5)  # 1e-10 / (1e-10 + eps)


# --- taps and distances -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "sizes"),
    [("vgg", [(64, 48), (32, 24), (16, 12), (8, 6), (4, 3)]),
     ("alex", [(15, 11), (7, 5), (3, 2), (3, 2), (3, 2)])],
)  # fmt: skip
def test_each_tap_has_its_width_and_resolution(nets, net, sizes):
    model = nets[net]
    x, y = _inputs()
    layers = model(x, y)
    assert [tuple(d.shape) for d in layers] == [(2, 1, h, w) for h, w in sizes]
    assert all(d.dtype == torch.float32 and (d >= 0).all() for d in layers)
    h = scale_inputs(x, model.shift, model.scale)
    start = 0
    for end, channels, (th, tw) in zip(model.arch.taps, model.arch.channels, sizes, strict=True):
        h = model.features[start:end](h)
        start = end
        assert tuple(h.shape[1:]) == (channels, th, tw)


@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_min_size_is_the_smallest_input_the_backbone_takes(nets, net):
    model = nets[net]
    side = model.arch.min_size
    assert side == {"vgg": 16, "alex": 31}[net]
    x = torch.zeros(1, 3, side, side)
    assert [tuple(d.shape[-2:]) for d in model(x, x)][-1] == (1, 1)
    smaller = torch.zeros(1, 3, side - 1, side)
    with pytest.raises(RuntimeError):
        model(smaller, smaller)


def test_identical_inputs_give_zero_at_every_tap_and_float64_is_kept(nets):
    x, y = _inputs(n=1)
    alex = nets["alex"]
    assert all(d.abs().max() == 0 for d in layer_distances(alex, x, x))
    as64 = copy.deepcopy(alex).double()
    layers64 = layer_distances(as64, x.double(), y.double())
    assert all(d.dtype == torch.float64 for d in layers64)
    for d64, d32 in zip(layers64, alex(x, y), strict=True):
        torch.testing.assert_close(d64.float(), d32, rtol=1e-4, atol=1e-7)


def test_the_head_weights_each_channels_squared_difference(nets):
    # one head that only reads channel 0 of the first tap: its output is the squared
    # difference of the unit-normalised channel-0 features, times the weight
    model = copy.deepcopy(nets["alex"])
    x, y = _inputs(n=1)
    with torch.no_grad():
        model.heads[0].weight.zero_()
        model.heads[0].weight[0, 0] = 2.5
    f = unit_normalize(
        model.features[:2](scale_inputs(torch.cat([x, y]), model.shift, model.scale))
    )
    expected = 2.5 * (f[:1, :1] - f[1:, :1]) ** 2
    torch.testing.assert_close(model(x, y)[0], expected, rtol=1e-6, atol=1e-9)


def test_scalar_is_the_sum_of_layer_means_and_the_map_the_sum_of_upsamplings():
    a = torch.tensor([1.0, 5.0]).view(2, 1, 1, 1).expand(2, 1, 4, 4)
    b = torch.tensor([2.0, 0.0]).view(2, 1, 1, 1).expand(2, 1, 2, 2)
    assert lpips_from_layers([a, b]).tolist() == [3.0, 5.0]
    local = lpips_map_from_layers([a, b], (8, 6))
    assert local.shape == (2, 1, 8, 6)
    expected = torch.tensor([3.0, 5.0]).view(2, 1, 1, 1).expand(2, 1, 8, 6)
    torch.testing.assert_close(local, expected, rtol=1e-6, atol=0)
    # a tap whose size divides the map size keeps its mean; others are only close
    g = torch.Generator().manual_seed(0)
    layers = [torch.rand(2, 1, 16 // s, 12 // s, generator=g) for s in (1, 2, 4)]
    torch.testing.assert_close(
        lpips_map_from_layers(layers, (16, 12)).mean(dim=(1, 2, 3)),
        lpips_from_layers(layers),
        rtol=1e-6,
        atol=0,
    )
    odd = [torch.rand(2, 1, 5, 3, generator=g)]
    gap = lpips_map_from_layers(odd, (16, 12)).mean(dim=(1, 2, 3)) - lpips_from_layers(odd)
    assert 0 < gap.abs().max() < 1e-2
