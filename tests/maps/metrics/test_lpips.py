"""LPIPS: metric properties on random weights, and the real loading path from local files.

The network itself is tested in test_lpips_net.py, the weight specs and checks in
test_lpips_weights.py."""

from __future__ import annotations

import pytest
import torch

from spotdiff._errors import InvalidOptionError, LayoutError, WeightsNotFoundError
from spotdiff.maps.metrics import _lpips_weights, get_metric
from spotdiff.maps.metrics._lpips_net import ARCHS
from spotdiff.maps.metrics.lpips import LPIPS, clear_lpips_cache, lpips, lpips_map


@pytest.fixture(autouse=True)
def isolated_caches(tmp_path, monkeypatch):
    """Point every cache at empty tmp directories so the machine's files never leak in, and
    forbid downloads (tests that exercise them allow them explicitly)."""
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("SPOTDIFF_OFFLINE", "1")
    monkeypatch.setattr(_lpips_weights, "lpips_package_weights_dir", lambda: None)
    clear_lpips_cache()
    yield
    clear_lpips_cache()


def _pair(n=2, size=(64, 64), noise=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, *size, generator=g)
    y = (x + noise * torch.randn(x.shape, generator=g)).clamp(0, 1)
    return x, y


@pytest.fixture(scope="module")
def alex():
    torch.manual_seed(0)
    return LPIPS(net="alex", pretrained=False)


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    return LPIPS(net="vgg", pretrained=False)


def _save_as_reference_files(metric: LPIPS, directory, net="vgg"):
    """Write torchvision-format backbone and lpips-format heads files, as distributed."""
    spec = _lpips_weights.SPECS[net]
    directory.mkdir(parents=True, exist_ok=True)
    state = metric.net.state_dict()
    backbone = {k: v.clone() for k, v in state.items() if k.startswith("features.")}
    backbone["classifier.0.weight"] = torch.zeros(2, 2)  # full torchvision models carry it
    heads = {
        f"lin{k.split('.')[1]}.model.1.weight": v.clone()
        for k, v in state.items()
        if k.startswith("heads.")
    }
    torch.save(backbone, directory / spec.backbone_file)
    torch.save(heads, directory / spec.heads_file)
    return directory / spec.backbone_file, directory / spec.heads_file


# --- metric properties (random weights) ---------------------------------------------------


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_identical_images_give_zero(net, alex, vgg):
    metric = alex if net == "alex" else vgg
    x, _ = _pair()
    assert metric(x, x).tolist() == [0.0, 0.0]
    assert metric.map(x, x).abs().max().item() == 0.0


def test_registry_builds_lpips():
    metric = get_metric("lpips", net="alex", pretrained=False)
    assert isinstance(metric, LPIPS)
    assert metric.name == "lpips" and metric.higher_is_better is False


def test_symmetric_and_non_negative(alex):
    x, y = _pair(n=3)
    d = alex(x, y)
    assert d.shape == (3,)
    torch.testing.assert_close(d, alex(y, x), rtol=0, atol=1e-6)
    assert (d > 0).all() and (alex.map(x, y) >= 0).all()


def test_distance_grows_with_distortion(alex):
    x, _ = _pair(n=1)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    ds = [alex(x, (x + s * noise).clamp(0, 1)).item() for s in (0.02, 0.05, 0.1, 0.2, 0.4)]
    assert ds == sorted(ds) and ds[0] > 0


def test_map_shape_and_mean_equals_scalar_when_taps_divide_size(vgg, alex):
    x, y = _pair(size=(64, 48))
    m = vgg.map(x, y)
    assert m.shape == (2, 1, 64, 48) and m.dtype == torch.float32
    # VGG taps are at strides 1, 2, 4, 8, 16: the bilinear upsampling keeps each layer's mean
    torch.testing.assert_close(m.mean(dim=(1, 2, 3)), vgg(x, y), rtol=1e-5, atol=1e-7)
    # AlexNet's stride-4 conv gives 15x11 taps: the map's mean is close, not equal
    ma = alex.map(x, y)
    assert ma.shape == (2, 1, 64, 48)
    torch.testing.assert_close(ma.mean(dim=(1, 2, 3)), alex(x, y), rtol=2e-3, atol=0)


def test_batch_independence(alex):
    x, y = _pair(n=3)
    whole = alex(x, y)
    single = torch.cat([alex(x[i : i + 1], y[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(whole, single, rtol=1e-5, atol=1e-7)


def test_gradients_flow_to_inputs_not_weights(alex):
    x, y = _pair(n=1)
    x.requires_grad_(True)
    alex(x, y).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(not p.requires_grad for p in alex.parameters())


def test_normalize_grayscale_and_dtype(alex):
    x, y = _pair(n=1)
    ref = alex(x, y)
    scaled = LPIPS(net="alex", pretrained=False, normalize=False)  # inputs in [-1, 1]
    scaled.load_state_dict(alex.state_dict())
    torch.testing.assert_close(scaled(2 * x - 1, 2 * y - 1), ref, rtol=0, atol=0)
    gray_x, gray_y = x[:, :1], y[:, :1]
    torch.testing.assert_close(
        alex(gray_x, gray_y), alex(gray_x.expand(-1, 3, -1, -1), gray_y.expand(-1, 3, -1, -1))
    )
    d64 = alex(x.double(), y.double())
    assert d64.dtype == torch.float64
    torch.testing.assert_close(d64.float(), ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize(
    ("x", "y", "error", "match"),
    [
        (torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 32), LayoutError, "same shape"),
        (torch.rand(3, 64, 64), torch.rand(3, 64, 64), LayoutError, "4-D"),
        (torch.rand(1, 4, 64, 64), torch.rand(1, 4, 64, 64), LayoutError, r"\(N, 3, H, W\)"),
        (*(torch.zeros(1, 3, 64, 64, dtype=torch.uint8),) * 2, LayoutError, "floating"),
        (torch.rand(1, 3, 30, 64), torch.rand(1, 3, 30, 64), InvalidOptionError, "31x31"),
    ],
)
def test_bad_inputs_raise(alex, x, y, error, match):
    with pytest.raises(error, match=match):
        alex(x, y)
    with pytest.raises(error, match=match):
        lpips(x, y, net="alex", pretrained=False)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"net": "squeeze", "pretrained": False}, "'vgg', 'alex'"),
        ({"net": "alex", "pretrained": False, "weights": "x.pth"}, "pretrained=False"),
    ],
)
def test_bad_options_raise(options, match):
    with pytest.raises(InvalidOptionError, match=match):
        LPIPS(**options)


def test_functional_reuses_one_network_per_setting():
    x, y = _pair(n=1)
    torch.manual_seed(1)
    first = lpips(x, y, net="alex", pretrained=False)
    torch.manual_seed(2)  # a rebuilt random network would give another value
    assert torch.equal(lpips(x, y, net="alex", pretrained=False), first)
    assert lpips_map(x, y, net="alex", pretrained=False).shape == (1, 1, 64, 64)
    d64 = lpips(x.double(), y.double(), net="alex", pretrained=False)
    torch.testing.assert_close(d64.float(), first, rtol=1e-6, atol=0)  # same weights, float64
    x2, y2 = _pair(n=3)
    per_sample = lpips(x2, y2, net="alex", pretrained=False)
    mean = lpips(x2, y2, net="alex", pretrained=False, reduction="mean")
    assert mean.shape == () and torch.allclose(mean, per_sample.mean())
    half = lpips(x.bfloat16(), y.bfloat16(), net="alex", pretrained=False)  # same weights, bf16
    assert half.dtype == torch.bfloat16
    torch.testing.assert_close(half.float(), first, rtol=2e-2, atol=0)


# --- the real loading path ---------------------------------------------------------------


def test_pretrained_loads_reference_format_files_from_spotdiff_home(vgg, tmp_path):
    backbone, heads = _save_as_reference_files(vgg, tmp_path / "home" / "lpips")
    loaded = LPIPS(net="vgg", pretrained=True)
    assert loaded.net.sources == {"backbone": str(backbone), "heads": str(heads)}
    x, y = _pair(n=2)
    assert torch.equal(loaded(x, y), vgg(x, y))
    assert torch.equal(loaded.map(x, y), vgg.map(x, y))


def test_pretrained_searches_torch_hub_and_lpips_package(alex, tmp_path, monkeypatch):
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    pkg = tmp_path / "site-packages" / "lpips" / "weights" / "v0.1"
    backbone, _ = _save_as_reference_files(alex, hub, net="alex")
    _, heads = _save_as_reference_files(alex, pkg, net="alex")
    (hub / "alex.pth").unlink()  # heads are never looked up in torch hub's directory
    monkeypatch.setattr(_lpips_weights, "lpips_package_weights_dir", lambda: pkg)
    loaded = LPIPS(net="alex")
    assert loaded.net.sources == {"backbone": str(backbone), "heads": str(heads)}
    x, y = _pair(n=1)
    assert torch.equal(loaded(x, y), alex(x, y))
    # the functional form finds the same files
    assert torch.equal(lpips(x, y, net="alex"), alex(x, y))


def test_explicit_weights_files_directory_and_combined_checkpoint(alex, tmp_path):
    backbone, heads = _save_as_reference_files(alex, tmp_path / "mine", net="alex")
    renamed_backbone = backbone.rename(tmp_path / "mine" / "any-name.pt")
    x, y = _pair(n=1)
    expected = alex(x, y)
    by_files = LPIPS(net="alex", weights=[heads, str(renamed_backbone)])
    assert by_files.net.sources == {"backbone": str(renamed_backbone), "heads": str(heads)}
    assert torch.equal(by_files(x, y), expected)
    # a directory is searched by file name; the missing backbone name is then an error
    with pytest.raises(WeightsNotFoundError, match=r"alexnet-owt-7be5be79\.pth"):
        LPIPS(net="alex", weights=tmp_path / "mine")
    renamed_backbone.rename(backbone)
    assert torch.equal(LPIPS(net="alex", weights=tmp_path / "mine")(x, y), expected)
    # a whole lpips.LPIPS state dict (net.slice{s}.{i}.*, lin{k}.model.1.weight) holds both
    state = alex.net.state_dict()
    slices = {
        i: s + 1
        for s, (a, b) in enumerate(
            zip((0, *ARCHS["alex"].taps[:-1]), ARCHS["alex"].taps, strict=True)
        )
        for i in range(a, b)
    }
    combined = {"scaling_layer.shift": torch.zeros(1, 3, 1, 1)}
    for key, value in state.items():
        kind, index, param = key.split(".")
        name = (
            f"net.slice{slices[int(index)]}.{index}.{param}"
            if kind == "features"
            else (f"lin{index}.model.1.{param}")
        )
        combined[name] = value
    torch.save(combined, tmp_path / "lpips_alex_full.pth")
    assert torch.equal(LPIPS(net="alex", weights=tmp_path / "lpips_alex_full.pth")(x, y), expected)


def test_missing_files_name_files_and_directories(tmp_path):
    with pytest.raises(WeightsNotFoundError) as info:
        LPIPS(net="vgg")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    home = str(tmp_path / "home" / "lpips")
    for needle in (
        "vgg16-397923af.pth",
        "vgg.pth",
        home,
        "SPOTDIFF_HOME",
        "weights=",
        str(tmp_path / "torch" / "hub" / "checkpoints"),
    ):
        assert needle in message
    with pytest.raises(WeightsNotFoundError, match="no such file"):
        LPIPS(net="vgg", weights=tmp_path / "nowhere.pth")


def test_only_heads_present_names_the_backbone(alex, tmp_path):
    _save_as_reference_files(alex, tmp_path / "home" / "lpips", net="alex")
    (tmp_path / "home" / "lpips" / "alexnet-owt-7be5be79.pth").unlink()
    with pytest.raises(WeightsNotFoundError) as info:
        LPIPS(net="alex")
    message = str(info.value)
    assert "'alexnet-owt-7be5be79.pth' (torchvision AlexNet backbone) not found locally" in message
    assert "'alex.pth'" not in message  # the heads were found: only the backbone is reported
    assert "(SPOTDIFF_OFFLINE is set)" in message and "unset SPOTDIFF_OFFLINE" in message


def test_corrupt_and_wrong_files_raise_clear_errors(alex, tmp_path):
    home = tmp_path / "home" / "lpips"
    backbone, heads = _save_as_reference_files(alex, home, net="alex")
    good_heads = heads.read_bytes()
    heads.write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidOptionError, match=r"cannot read LPIPS weights file .*alex.pth"):
        LPIPS(net="alex")
    # heads of another network: right keys, wrong widths
    torch.save({f"lin{k}.model.1.weight": torch.ones(1, 64, 1, 1) for k in range(5)}, heads)
    with pytest.raises(InvalidOptionError, match=r"lin1.model.1.weight.*\(1, 64, 1, 1\).*192"):
        LPIPS(net="alex")
    # a backbone file that holds something else
    heads.write_bytes(good_heads)
    torch.save({"weight": torch.ones(3)}, backbone)
    with pytest.raises(InvalidOptionError, match="should hold the backbone"):
        LPIPS(net="alex")
    torch.save([1, 2], backbone)
    with pytest.raises(InvalidOptionError, match="not a state dict"):
        LPIPS(net="alex")


# --- downloads: the shared weights resolution (explicit -> caches -> download when allowed) ---


def _allow_downloads(monkeypatch, reachable):
    from spotdiff.backends import _network

    monkeypatch.delenv("SPOTDIFF_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    probed = []
    monkeypatch.setattr(_network, "reachable", lambda host: probed.append(host) or reachable)
    return probed


def _serve_from(monkeypatch, net, directory):
    """Point the spec's download addresses at file:// URLs of ``directory``."""
    import dataclasses

    spec = _lpips_weights.SPECS[net]
    parts = {
        name: dataclasses.replace(part, url=(directory / part.default).as_uri())
        for name, part in (("backbone", spec.backbone), ("heads", spec.heads))
    }
    monkeypatch.setitem(_lpips_weights.SPECS, net, dataclasses.replace(spec, **parts))


def test_missing_files_are_downloaded_into_spotdiff_home_when_allowed(alex, tmp_path, monkeypatch):
    served = tmp_path / "server"
    _save_as_reference_files(alex, served, net="alex")
    _serve_from(monkeypatch, "alex", served)
    _allow_downloads(monkeypatch, reachable=True)
    loaded = LPIPS(net="alex")
    home = tmp_path / "home" / "lpips"
    assert loaded.net.sources == {
        "backbone": str(home / "alexnet-owt-7be5be79.pth"),
        "heads": str(home / "alex.pth"),
    }
    x, y = _pair(n=1)
    assert torch.equal(loaded(x, y), alex(x, y))
    assert sorted(p.name for p in home.iterdir()) == ["alex.pth", "alexnet-owt-7be5be79.pth"]


def test_no_download_when_the_host_is_unreachable_and_no_offline_variable(tmp_path, monkeypatch):
    probed = _allow_downloads(monkeypatch, reachable=False)
    with pytest.raises(WeightsNotFoundError) as info:
        LPIPS(net="vgg")
    message = str(info.value)
    assert "download.pytorch.org is not reachable from this machine" in message
    assert "github.com is not reachable" in message  # the heads' host
    assert "OFFLINE" not in message  # no variable is set, so none is mentioned
    assert set(probed) == {"download.pytorch.org", "github.com"}
    assert not (tmp_path / "home" / "lpips").exists()


def test_hf_hub_offline_is_respected_and_named(tmp_path, monkeypatch):
    probed = _allow_downloads(monkeypatch, reachable=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError, match=r"HF_HUB_OFFLINE is set.*unset HF_HUB_OFFLINE"):
        LPIPS(net="alex")
    assert probed == []  # an offline variable answers without a probe
