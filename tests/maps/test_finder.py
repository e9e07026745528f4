"""Finder: difference-finder's interface and semantics, plus its TODOs, on every input kind."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from spotdiff import Finder, InvalidOptionError, UnknownNameError
from spotdiff.maps import get_metric

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
    with pytest.raises(TypeError, match="registered name or a callable"):
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
