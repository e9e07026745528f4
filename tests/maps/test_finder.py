"""Finder: difference-finder's interface and semantics, plus its TODOs, on every input kind."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from spotdiff import Finder, InvalidOptionError, UnknownNameError
from spotdiff._errors import ImageReadError, PairingError
from spotdiff.io import DirectoryPairs
from spotdiff.maps import DirectoryMap, MapResult, directory_rows, get_metric

RNG = np.random.default_rng(3)
IMG1 = RNG.integers(0, 256, size=(32, 48, 3), dtype=np.uint8)
IMG2 = IMG1.copy()
IMG2[8:16, 30:40] = 255 - IMG2[8:16, 30:40]


def _assert_lights_up_the_change(diff_map):
    """The map's peak is at the changed block (rows 8:16, cols 30:40) and the block is far hotter
    than the area away from it (windowed metrics spread a few pixels past the edge)."""
    m = np.abs(diff_map)
    y, x = np.unravel_index(np.argmax(m), m.shape)
    assert 8 - 5 <= y < 16 + 5 and 30 - 5 <= x < 40 + 5
    far = np.ones_like(m, dtype=bool)
    far[8 - 8 : 16 + 8, 30 - 8 :] = False
    assert m[8:16, 30:40].mean() > 5 * m[far].mean()


@pytest.mark.parametrize("strategy", ["difference", "gradient", "ssim_map"])
@pytest.mark.parametrize("metric", ["mse", "psnr", "ssim"])
def test_maps_light_up_where_images_differ(strategy, metric):
    out = Finder(strategy=strategy, metric=metric).run(IMG1, IMG2)
    assert out.shape == (32, 48) and out.dtype == np.float32
    _assert_lights_up_the_change(out)


def test_difference_map_value_is_channel_mean_of_absolute_difference():
    out = Finder(strategy="difference").run(IMG1, IMG2)
    expected = np.abs(IMG1 / 255.0 - IMG2 / 255.0).mean(axis=2)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_reduce_max_and_none():
    f = Finder(strategy="difference", reduce="max")
    expected = np.abs(IMG1 / 255.0 - IMG2 / 255.0).max(axis=2)
    np.testing.assert_allclose(f.run(IMG1, IMG2), expected, atol=1e-6)
    assert Finder(strategy="difference", reduce="none").run(IMG1, IMG2).shape == (3, 32, 48)
    with pytest.raises(InvalidOptionError, match="reduce must be one of"):
        Finder(reduce="median")


def test_return_metric_and_torch_output():
    out, value = Finder(metric="mse", output="torch").run(IMG1, IMG2, return_metric=True)
    assert isinstance(out, torch.Tensor) and out.shape == (32, 48)
    expected = ((IMG1 / 255.0 - IMG2 / 255.0) ** 2).mean()
    assert value == pytest.approx(expected, rel=1e-5)
    psnr = Finder(metric="psnr", strategy="difference").run(IMG1, IMG2, return_metric=True)[1]
    assert psnr == pytest.approx(10 * np.log10(1 / expected), rel=1e-5)


def test_every_batch_element_is_returned():
    batch1 = torch.from_numpy(np.stack([IMG1, IMG1, IMG1])).permute(0, 3, 1, 2)
    batch2 = torch.from_numpy(np.stack([IMG1, IMG2, IMG1])).permute(0, 3, 1, 2)
    maps, values = Finder(strategy="difference").run(batch1, batch2, return_metric=True)
    assert maps.shape == (3, 32, 48) and values.shape == (3,)
    assert maps[0].max() == 0 and maps[2].max() == 0 and maps[1].max() > 0.5
    assert values[1] > 0 and values[0] == 0


def test_paths_directories_and_layouts_agree(tmp_path):
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    for d, img in (("d1", IMG1), ("d2", IMG2)):
        Image.fromarray(img).save(tmp_path / d / "x.png")
        Image.fromarray(IMG1).save(tmp_path / d / "y.png")
    f = Finder(strategy="gradient", metric="mse")
    from_arrays = f.run(IMG1, IMG2)
    from_paths = f.run(tmp_path / "d1" / "x.png", str(tmp_path / "d2" / "x.png"))
    from_chw = f.run(
        torch.from_numpy(IMG1).permute(2, 0, 1).float() / 255,
        torch.from_numpy(IMG2).permute(2, 0, 1).float() / 255,
    )
    np.testing.assert_allclose(from_paths, from_arrays, atol=1e-9)
    np.testing.assert_allclose(from_chw, from_arrays, atol=1e-9)
    maps, metrics = f.run(tmp_path / "d1", tmp_path / "d2", return_metric=True)
    assert len(maps) == 2 and len(metrics) == 2
    np.testing.assert_allclose(maps[0], from_arrays, atol=1e-9)
    assert np.abs(maps[1]).max() == 0 and metrics[1] == 0


def test_components_by_name_or_object():
    lpips = get_metric("lpips", pretrained=False, net="alex")
    f = Finder(metric=lpips, strategy="gradient", pre_processor="normalize")
    out = f.run(IMG1, IMG2)
    assert out.shape == (32, 48) and np.isfinite(out).all()
    custom = Finder(metric=lambda x, y: ((x - y) ** 2).sum(dim=(1, 2, 3)), post_processor="abs")
    assert custom.run(IMG1, IMG2).min() >= 0
    with pytest.raises(UnknownNameError, match="Valid names"):
        Finder(metric="l3")
    with pytest.raises(InvalidOptionError, match="registered name or a callable"):
        Finder(strategy=3)


def test_save_writes_a_colour_mapped_png(tmp_path):
    f = Finder(strategy="difference")
    out = f.run(IMG1, IMG2)
    path = f.save(out, tmp_path / "map.png")
    picture = np.asarray(Image.open(path))
    assert picture.shape == (32, 48, 3)
    assert picture[10, 35].sum() > picture[0, 0].sum()  # hot where different
    f.save(torch.from_numpy(out), tmp_path / "map.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "map.npy"), out)


def test_size_mismatch_policy_reaches_finder():
    small = IMG2[::2, ::2]
    with pytest.warns(UserWarning, match="resized"):
        assert Finder(strategy="difference").run(IMG1, small).shape == (32, 48)
    with pytest.raises(ValueError, match="size_mismatch"):
        Finder(strategy="difference", size_mismatch="error").run(IMG1, small)


# ----------------------------------------------------------------------------------------------
# one method, one return type


def test_map_returns_a_map_result_for_a_pair_and_for_a_batch():
    one = Finder(strategy="difference").map(IMG1, IMG2)
    assert isinstance(one, MapResult) and len(one) == 1
    assert one.map.shape == (1, 32, 48) and one.map.dtype == np.float32
    assert one.values.shape == (1,)
    expected = np.abs(IMG1 / 255.0 - IMG2 / 255.0).mean(axis=2)
    np.testing.assert_allclose(one.map[0], expected, atol=1e-6)
    batch = Finder(strategy="difference").map([IMG1, IMG1, IMG1], [IMG1, IMG2, IMG1])
    assert batch.map.shape == (3, 32, 48) and batch.values.shape == (3,)
    assert batch.map[1].max() > 0.5 and batch.map[0].max() == 0 == batch.map[2].max()
    torched = Finder(strategy="difference", output="torch", device="cpu").map(IMG1, IMG2)
    assert isinstance(torched.map, torch.Tensor) and isinstance(torched.values, torch.Tensor)
    assert torched.map.shape == (1, 32, 48) and not torched.map.requires_grad


def test_map_values_are_the_metric_per_pair():
    result = Finder(metric="mse").map([IMG1, IMG1], [IMG2, IMG1])
    expected = ((IMG1 / 255.0 - IMG2 / 255.0) ** 2).mean()
    np.testing.assert_allclose(result.values, [expected, 0.0], rtol=1e-5, atol=1e-9)


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        Finder("identity", "identity", "difference")  # type: ignore[misc]


def _write(directory, name, img):
    directory.mkdir(exist_ok=True)
    Image.fromarray(img).save(directory / name)


def test_map_dirs_one_row_per_name_with_failures_recorded(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    for d, img in ((d1, IMG1), (d2, IMG2)):
        _write(d, "a.png", img)
        _write(d, "b.png", IMG1)
    (d1 / "c.png").write_bytes((d1 / "a.png").read_bytes())
    (d2 / "c.png").write_bytes(b"garbage")
    rows = Finder(strategy="difference").map_dirs(d1, d2)
    assert [row.name for row in rows] == ["a", "b", "c"]
    assert all(isinstance(row, DirectoryMap) for row in rows)
    assert rows[0].ok and rows[0].result.map.shape == (1, 32, 48)
    assert rows[0].result.values[0] > 0 and rows[1].result.map.max() == 0
    assert not rows[2].ok and rows[2].result is None
    assert isinstance(rows[2].error, ImageReadError) and rows[2].path2 == d2 / "c.png"


def test_unmatched_files_are_rows_with_a_pairing_error(tmp_path, monkeypatch):
    # spotdiff.io.pair_directories reports files without a partner in only_in_1 / only_in_2
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    _write(d1, "a.png", IMG1)
    _write(d2, "a.png", IMG2)
    _write(d1, "only1.png", IMG1)
    _write(d2, "only2.png", IMG1)
    paired = DirectoryPairs(
        pairs=[("a", d1 / "a.png", d2 / "a.png")],
        only_in_1=[d1 / "only1.png"],
        only_in_2=[d2 / "only2.png"],
    )
    monkeypatch.setattr("spotdiff.io._pairs.pair_directories", lambda *_: paired)
    planned = directory_rows(d1, d2)
    assert [(r.name, r.result, r.ok) for r in planned] == [
        ("a", None, True),
        ("only1", None, False),
        ("only2", None, False),
    ]
    rows = Finder(strategy="difference").map_dirs(d1, d2)
    assert rows[0].ok and rows[0].result is not None
    only1, only2 = rows[1], rows[2]
    assert isinstance(only1.error, PairingError) and only1.path2 is None
    assert str(only1.error) == f"no file named only1.* in {d2}"
    assert str(only2.error) == f"no file named only2.* in {d1}"
    # difference-finder's run keeps its list-of-maps answer: a missing partner is an error
    with pytest.raises(PairingError, match=r"no file named only1\.\* in"):
        Finder(strategy="difference").run(d1, d2)


def test_unmatched_row_names_stay_unique(tmp_path, monkeypatch):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    paired = DirectoryPairs(
        pairs=[("a", d1 / "a.png", d2 / "a.png")], only_in_1=[d1 / "a.gif"], only_in_2=[]
    )
    monkeypatch.setattr("spotdiff.io._pairs.pair_directories", lambda *_: paired)
    # sorted by file name (a.gif < a.png); the unmatched a.gif takes its whole name
    assert [row.name for row in directory_rows(d1, d2)] == ["a.gif", "a"]


# ----------------------------------------------------------------------------------------------
# one device rule


def test_device_default_is_cuda_when_available_else_cpu(monkeypatch):
    metric = lambda x, y: (x - y).abs().mean(dim=(1, 2, 3))  # noqa: E731 (not a Module: no .to)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert Finder(metric=metric).device == torch.device("cpu")
    assert Finder(metric=metric, device="auto").device == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert Finder(metric=metric).device == torch.device("cuda:0")


@pytest.mark.parametrize(
    ("device", "match"),
    [
        ("bogus", "not a torch device"),
        ("cuda", "sees no CUDA GPU"),
        ("cuda:1", "sees no CUDA GPU"),
    ],
)
def test_bad_devices_are_invalid_option_errors(monkeypatch, device, match):
    # regression: torch.device("bogus") / a CUDA tensor on a CPU-only torch raised torch's errors
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InvalidOptionError, match=match):
        Finder(device=device)


# ----------------------------------------------------------------------------------------------
# maps never import viz


def test_the_finder_module_does_not_import_viz():
    code = (
        "import sys, numpy as np, spotdiff.maps.finder as f; "
        "f.Finder(strategy='difference', device='cpu').map(np.zeros((4, 4)), np.ones((4, 4))); "
        "print(sorted(m for m in sys.modules if m.startswith('spotdiff.viz')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
