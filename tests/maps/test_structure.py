"""The structural map: parity with the torch SSIM, noise awareness, clipped pixels."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.maps.ssim_cv import ssim_map_cv
from spotdiff.maps.structure import structural_difference

skdata = pytest.importorskip("skimage.data")


def _pair() -> tuple[np.ndarray, np.ndarray]:
    a = skdata.camera()[100:228, 150:310]  # (128, 160) uint8
    b = a.copy()
    b[40:70, 60:100] = b[40:70, 60:100][::-1]  # a flipped patch: same levels, new structure
    noise = np.random.default_rng(0).normal(0, 3, a.shape)
    return a, np.clip(b + noise, 0, 255).astype(np.uint8)


def test_parity_with_torch_ssim_map():
    """1 - map equals 1 - the torch SSIM map with the luminance term switched off (k1 huge)."""
    torch = pytest.importorskip("torch", reason="the torch SSIM is the parity reference")
    maps = pytest.importorskip("spotdiff.maps", reason="spotdiff.maps (torch) not importable")
    a, b = _pair()
    x = torch.from_numpy(a.astype(np.float64))[None, None].requires_grad_(True)  # torch path
    y = torch.from_numpy(b.astype(np.float64))[None, None]
    ref = maps.ssim_map(x, y, data_range=255.0, k1=1000.0)[0, 0].detach().numpy()
    ours = structural_difference(a, b, noise=0.0)
    np.testing.assert_allclose(ours, 1.0 - ref, atol=2e-4)  # float32 vs float64 variances
    # and the OpenCV SSIM the engine builds on is the torch SSIM at the standard settings
    full = maps.ssim_map(x, y, data_range=255.0)[0, 0].detach().numpy()
    np.testing.assert_allclose(ssim_map_cv(a, b, data_range=255.0), full, atol=2e-4)


def test_change_is_localized():
    a, b = _pair()
    d = structural_difference(a, b, noise=3.0)
    assert d.dtype == np.float32 and d.shape == a.shape
    assert d[45:65, 65:95].mean() > 0.3
    assert np.percentile(d[:, :40], 99) < 0.1 and np.percentile(d[90:], 99) < 0.1


def test_noise_raises_the_contrast_constant():
    flat = np.full((64, 64), 120, np.uint8)
    noisy = np.clip(flat + np.random.default_rng(1).normal(0, 5, flat.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    plain = structural_difference(flat, noisy, noise=0.0).mean()
    aware = structural_difference(flat, noisy, noise=5.0).mean()
    assert plain > 0.25 and aware < 0.1


def test_unreliable_pixels_are_silenced_with_their_window():
    a, b = _pair()
    unreliable = np.zeros(a.shape, bool)
    unreliable[55, 80] = True
    d = structural_difference(a, b, unreliable=unreliable)
    assert d[50:61, 75:86].max() == 0  # the 11x11 window around the pixel
    assert d[42:48, 62:70].mean() > 0.2


def test_local_noise_sets_the_contrast_constant_pixel_by_pixel():
    from spotdiff.maps.structure import NOISE_FACTOR, TEXTURE_NOISE_FACTOR

    a, b = _pair()
    same = structural_difference(a, b, noise=3.0, local_noise=np.full(a.shape, 3.0, np.float32))
    np.testing.assert_allclose(same, structural_difference(a, b, noise=3.0), atol=1e-5)
    local = np.full(a.shape, 3.0, np.float32)
    local[:, 80:] = 6.0  # the right half: a texture whose pixels differ by 6 levels
    d = structural_difference(a, b, noise=3.0, local_noise=local)
    c2 = (0.03 * 255) ** 2 + (NOISE_FACTOR * 3) ** 2 + TEXTURE_NOISE_FACTOR**2 * (36 - 9)
    k2 = np.sqrt(c2) / 255
    ref = 1 - ssim_map_cv(a, b, data_range=255.0, k1=1000.0, k2=k2)
    np.testing.assert_allclose(d[:, 90:], ref[:, 90:], atol=1e-5)  # beyond the window's reach
    np.testing.assert_allclose(d[:, :70], same[:, :70], atol=1e-5)


def _jpeg(img: np.ndarray, quality: int = 50) -> np.ndarray:
    import cv2

    _, buf = cv2.imencode(
        ".jpg", np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


@pytest.fixture(scope="module")
def rocket() -> np.ndarray:
    import cv2

    return cv2.resize(skdata.rocket(), (640, 427), interpolation=cv2.INTER_AREA)


def test_texture_noise_follows_the_reencoding_error_on_texture(rocket):
    import cv2

    from spotdiff.maps.noise import noise_sigma
    from spotdiff.maps.structure import texture_noise

    g1 = cv2.cvtColor(rocket, cv2.COLOR_RGB2GRAY)
    g2 = cv2.cvtColor(_jpeg(rocket), cv2.COLOR_RGB2GRAY)
    noise = noise_sigma(g1, g2)
    assert 1.0 < noise < 2.5  # the whole picture: mostly smooth sky
    local = texture_noise(g1, g2, noise)
    assert local.shape == g1.shape and local.dtype == np.float32
    assert local.min() == pytest.approx(noise)  # never below the pair's sigma
    assert np.percentile(local, 95) > 2.5 * noise  # the trees' JPEG error
    assert texture_noise(g1, g1, 0.0) is None  # nothing differs
    assert texture_noise(g1, g2, 7.0) is None  # a noisy pair: its sigma holds the texture's


def test_a_photo_reencoded_as_jpeg_gives_no_box_and_changes_on_its_texture_are_found(rocket):
    """JPEG q50 leaves its error on the trees and the tower (sigma 4-7 there, 1.6 overall): the
    constant from the whole picture's sigma let them read as changed structure (14 boxes)."""
    import cv2

    from spotdiff import find

    assert len(find(rocket, _jpeg(rocket))) == 0
    edited = rocket.copy()
    cv2.circle(edited, (330, 120), 10, (250, 30, 30), -1)  # a red dot on the sky
    patch = edited[250:290, 440:468]  # a piece of the tower's lattice inpainted away: flattened
    edited[250:290, 440:468] = patch.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    r = find(rocket, _jpeg(edited))
    assert len(r) == 2
    boxes = sorted(r.boxes.tolist())
    assert boxes[0][0] <= 322 and boxes[0][2] >= 338  # the dot
    x1, y1, x2, y2 = boxes[1]  # the patch
    assert x1 <= 444 and x2 >= 464 and y1 <= 254 and y2 >= 286
