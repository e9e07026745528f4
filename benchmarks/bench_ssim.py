"""SSIM map speed: spotdiff (torch and OpenCV) side by side with scikit-image and pytorch-msssim.

Every implementation computes the gaussian (sigma 1.5, 11 taps) SSIM of the same RGB pair in
float32 with values in [0, 1], in one process, one after the other per repeat, and the table
reports the median wall time and the speed-up over scikit-image's ``full=True`` map. The
"max |diff|" column compares each map (or, for pytorch-msssim, which returns only the mean, the
mean) with scikit-image's float64 result on the first size.

Rows:

- scikit-image: ``structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=1.0, channel_axis=-1, full=True)`` on (H, W, 3).
- spotdiff ``ssim_map`` on (1, 3, H, W) NCHW tensors as users pass them: without gradients
  (the CPU fast path) and with ``requires_grad=True`` on ``x`` (the differentiable torch path,
  forward only).
- spotdiff ``ssim_map_cv`` on (H, W, 3) float32 arrays.
- pytorch-msssim ``ssim(x, y, data_range=1.0, size_average=False)`` on NCHW and on
  channels-last tensors (it returns the mean; its map is computed and dropped).
- OpenCV-only: the textbook cv2 + numpy SSIM map (OpenCV's "similarity measurement" tutorial,
  with BORDER_REFLECT), and the floor: just the five ``cv2.GaussianBlur`` calls every separable
  SSIM needs.

Usage::

    python benchmarks/bench_ssim.py                      # 1920x1080 and 3840x2160, 3 repeats
    python benchmarks/bench_ssim.py --sizes 1920x1080 --repeats 7

Timings on shared machines swing with the load; the rows are interleaved within each repeat so
that a busy spell hits every implementation alike. Compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np
import torch
from pytorch_msssim import ssim as pm_ssim
from skimage import data
from skimage.metrics import structural_similarity

from spotdiff.maps.metrics import ssim_map
from spotdiff.maps.ssim_cv import ssim_map_cv


def make_pair(width: int, height: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A structured RGB pair, float32 (H, W, 3) in [0, 1]: a photo resized, shifted, noised, edited."""
    rng = np.random.default_rng(seed)
    photo = cv2.resize(data.astronaut(), (width, height), interpolation=cv2.INTER_AREA)
    a = photo.astype(np.float32) / 255
    shift = np.float32([[1, 0, 1.5], [0, 1, -0.75]])
    b = cv2.warpAffine(a, shift, (width, height), borderMode=cv2.BORDER_REFLECT)
    b += rng.normal(0, 0.02, b.shape).astype(np.float32)
    h0, w0 = height // 3, width // 3
    b[h0 : h0 + height // 8, w0 : w0 + width // 6] = rng.random(3, dtype=np.float32)
    return a, np.clip(b, 0, 1, out=b)


def skimage_ssim(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    """scikit-image's (mean SSIM, (H, W, 3) SSIM map) with the settings spotdiff reproduces."""
    return structural_similarity(
        a,
        b,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1.0,
        channel_axis=-1,
        full=True,
    )


def opencv_tutorial_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The SSIM map as OpenCV's tutorial writes it (float32 cv2 + numpy, BORDER_REFLECT)."""
    c1, c2 = 0.01**2, 0.03**2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (11, 11), 1.5, sigmaY=1.5, borderType=cv2.BORDER_REFLECT)

    mu1, mu2 = blur(a), blur(b)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s1 = blur(a * a) - mu1_sq
    s2 = blur(b * b) - mu2_sq
    s12 = blur(a * b) - mu1_mu2
    return ((2 * mu1_mu2 + c1) * (2 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))


def opencv_floor(a: np.ndarray, b: np.ndarray) -> None:
    """The five gaussian blurs alone: a lower bound for any separable-filter SSIM map."""
    for z in (a, b, a, b, a):
        cv2.GaussianBlur(z, (11, 11), 1.5, sigmaY=1.5, borderType=cv2.BORDER_REFLECT)


def build_cases(a: np.ndarray, b: np.ndarray) -> dict[str, Callable[[], object]]:
    x = torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()
    y = torch.from_numpy(b).permute(2, 0, 1)[None].contiguous()
    xg = x.clone().requires_grad_(True)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    y_cl = y.contiguous(memory_format=torch.channels_last)

    def skimage_map():
        return skimage_ssim(a, b)[1]

    def spotdiff_nograd():
        with torch.no_grad():
            return ssim_map(x, y)[0].permute(1, 2, 0).numpy()

    def spotdiff_grad():
        with torch.enable_grad():
            return ssim_map(xg, y)[0].detach().permute(1, 2, 0).numpy()

    def pm(xx, yy):
        def run():
            with torch.no_grad():
                return pm_ssim(xx, yy, data_range=1.0, size_average=False)

        return run

    return {
        "scikit-image structural_similarity(full=True)": skimage_map,
        "spotdiff ssim_map, torch NCHW (no grad)": spotdiff_nograd,
        "spotdiff ssim_map, torch NCHW (requires_grad, forward)": spotdiff_grad,
        "spotdiff ssim_map_cv (OpenCV)": lambda: ssim_map_cv(a, b),
        "pytorch-msssim ssim, NCHW": pm(x, y),
        "pytorch-msssim ssim, channels_last": pm(x_cl, y_cl),
        "OpenCV tutorial map (cv2 + numpy)": lambda: opencv_tutorial_map(a, b),
        "OpenCV floor: 5 GaussianBlur calls only": lambda: opencv_floor(a, b),
    }


def max_diff(name: str, out: object, a: np.ndarray, b: np.ndarray) -> str:
    if out is None:
        return "-"
    value, ref = skimage_ssim(a.astype(np.float64), b.astype(np.float64))
    if isinstance(out, torch.Tensor):  # pytorch-msssim: the mean only
        return f"{abs(float(out[0]) - value):.1e} (mean)"
    return f"{np.abs(np.asarray(out, dtype=np.float64) - ref).max():.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument(
        "--budget",
        type=float,
        default=6.0,
        help="seconds per case and size after which a case stops repeating (default: %(default)s)",
    )
    parser.add_argument(
        "--sizes", default="1920x1080,3840x2160", help="comma-separated WxH (default: %(default)s)"
    )
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]

    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), OpenCV {cv2.__version__} "
        f"({cv2.getNumThreads()} threads), float32 RGB, median of {args.repeats} runs after 1 "
        f"warm-up (fewer once a case has used {args.budget:g} s)"
    )
    results: dict[str, dict[tuple[int, int], float]] = {}
    checks: dict[str, str] = {}
    for k, (w, h) in enumerate(sizes):
        a, b = make_pair(w, h)
        cases = build_cases(a, b)
        outs = {name: fn() for name, fn in cases.items()}  # warm-up (and outputs to check)
        if k == 0:
            checks = {name: max_diff(name, out, a, b) for name, out in outs.items()}
        del outs
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeats):
            for name, fn in cases.items():  # interleaved: load changes hit every case alike
                if sum(times[name]) > args.budget:
                    continue
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        for name, ts in times.items():
            results.setdefault(name, {})[(w, h)] = statistics.median(ts) * 1000

    ref = results["scikit-image structural_similarity(full=True)"]
    header = "| implementation | " + " | ".join(f"{w}x{h} ms | vs skimage" for w, h in sizes)
    w0, h0 = sizes[0]
    print()
    print(header + f" | max abs diff vs skimage f64 ({w0}x{h0}) |")
    print("|---|" + "---:|---:|" * len(sizes) + "---:|")
    for name, per_size in results.items():
        cells = [f"{per_size[s]:.1f} | {ref[s] / per_size[s]:.2f}x" for s in sizes]
        print(f"| {name} | " + " | ".join(cells) + f" | {checks[name]} |")


if __name__ == "__main__":
    main()
