"""Tight boxes: shrink to the changed pixels, by at most the SSIM window's reach, never grow."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.regions.refine import tight_box

from ..drawings import outlined_ellipses
from ..realpairs import find_counts, needs_realpairs, real_pair


def _tight(shape, rect) -> np.ndarray:
    t = np.zeros(shape, bool)
    x1, y1, x2, y2 = rect
    t[y1:y2, x1:x2] = True
    return t


def test_halo_is_cut_to_the_changed_pixels():
    # a 26 px box around an 8x8 change, window placed at (90, 40) with a 3 px margin
    t = _tight((32, 32), (12, 12, 20, 20))
    assert tight_box(t, (93, 43, 119, 69), (90, 40), max_shrink=12) == (102, 52, 110, 60)


def test_sides_further_in_than_the_reach_stay():
    # the colour cue ends 9 px inside the left side and 1 px inside the right one
    t = _tight((40, 40), (10, 0, 38, 40))
    assert tight_box(t, (1, 0, 39, 40), (0, 0), max_shrink=5) == (1, 0, 38, 40)
    assert tight_box(t, (1, 0, 39, 40), (0, 0), max_shrink=9) == (10, 0, 38, 40)


def test_never_grows_and_empty_cue_keeps_the_box():
    t = _tight((50, 50), (0, 0, 50, 50))  # the cue spills beyond the box: the box stays
    assert tight_box(t, (10, 10, 20, 20), (0, 0), max_shrink=5) == (10, 10, 20, 20)
    empty = np.zeros((50, 50), bool)
    assert tight_box(empty, (10, 10, 20, 20), (0, 0), max_shrink=5) == (10, 10, 20, 20)
    few = _tight((50, 50), (14, 14, 15, 15))
    assert tight_box(few, (10, 10, 20, 20), (0, 0), max_shrink=5, min_pixels=2) == (10, 10, 20, 20)


def _pair_with_square(size=(400, 300), rect=(200, 100, 208, 108)):
    rng = np.random.default_rng(3)
    w, h = size
    img1 = rng.integers(90, 110, (h, w, 3), dtype=np.uint8)
    img2 = img1.copy()
    x1, y1, x2, y2 = rect
    img2[y1:y2, x1:x2] = (250, 20, 20)
    return img1, img2


def _one_region(box, size, *, with_mask=True):
    from spotdiff.result import DiffResult, RegionMasks

    x1, y1, x2, y2 = box
    masks = None
    if with_mask:
        crop = np.ones((y2 - y1, x2 - x1), bool)
        masks = RegionMasks([crop], np.array([[x1, y1]]), size)
    return DiffResult(
        boxes=np.array([box], np.float32),
        scores=np.array([0.5], np.float32),
        masks=masks,
        data={"area": np.array([(x2 - x1) * (y2 - y1)])},
        image_size=size,
    )


def _refine(region, img1, img2, *, skip=None, transform=None, keep=None):
    """:func:`refine_boxes` of one region on a tone-identical pair, unregistered unless
    ``transform`` is given (colour threshold 24 levels, no blur, working size = image size)."""
    from spotdiff.align import ToneMap
    from spotdiff.regions.refine import refine_boxes

    return refine_boxes(
        region,
        img1,
        img2,
        transform=transform,
        tone=ToneMap.identity(),
        blur=(0.0, 0.0),
        colour_threshold=24.0,
        skip=skip,
        scale=1.0,
        keep=keep,
    )


def test_refine_boxes_cuts_a_small_regions_halo_to_the_changed_pixels():
    img1, img2 = _pair_with_square()
    halo = (194, 94, 214, 114)  # the 8x8 change with 6 px of SSIM halo (reach: 7 px)
    out = _refine(_one_region(halo, (400, 300)), img1, img2)
    assert tuple(out.boxes[0].astype(int)) == (200, 100, 208, 108)
    assert int(out.data["area"][0]) == 64 and out.masks is not None
    crop, origin = out.masks.crop(0)
    assert crop.shape == (8, 8) and tuple(origin) == (200, 100)


def test_refine_boxes_leaves_large_boxes_and_ignored_pixels_alone():
    img1, img2 = _pair_with_square()
    big = (100, 50, 300, 250)  # longer than 3x the SSIM window's reach: kept as it is
    out = _refine(_one_region(big, (400, 300)), img1, img2)
    assert tuple(out.boxes[0].astype(int)) == big
    skip = np.zeros((300, 400), bool)
    skip[100:108, 200:204] = True  # the left half of the change is ignored
    region = _one_region((194, 94, 214, 114), (400, 300), with_mask=False)
    out = _refine(region, img1, img2, skip=skip)
    # the cue now starts 10 px inside the left side, beyond the reach (7 px): that side stays
    assert tuple(out.boxes[0].astype(int)) == (194, 100, 208, 108)


def _large_region_refined(ring: bool):
    rng = np.random.default_rng(5)
    img1 = rng.integers(90, 110, (300, 400, 3), dtype=np.uint8)
    img2 = img1.copy()
    img2[100:130, 100:130] = (250, 20, 20)
    if ring:  # the middle of the change keeps its colour: enclosed, it stays in the mask
        img2[108:122, 108:122] = img1[108:122, 108:122]
    halo = (95, 95, 135, 135)  # 5 px of SSIM halo a side; 40 px > 3x the reach: a large box
    return _refine(_one_region(halo, (400, 300)), img1, img2)


@pytest.mark.parametrize("ring", [False, True], ids=["solid", "ring"])
def test_a_large_regions_mask_loses_its_halo_not_its_inside(ring):
    out = _large_region_refined(ring)
    assert tuple(out.boxes[0].astype(int)) == (95, 95, 135, 135)  # large boxes keep their box
    mask = out.masks.dense(0)
    # the 30x30 change, within the 1 px the shift-tolerant colour cue may add along an edge:
    # the 5 px halo is cut (the ring's middle is enclosed: kept)
    assert mask[100:130, 100:130].all() and int(out.data["area"][0]) == mask.sum()
    assert not mask[:99].any() and not mask[131:].any()
    assert not mask[:, :99].any() and not mask[:, 131:].any()


def test_full_resolution_masks_follow_the_change_not_the_working_grid():
    # 2048x1152 is compared at 1024x576: four discs (radius 9-60 px) brightened on texture
    from spotdiff import find
    from spotdiff.evaluation.metrics import mask_f1

    rng = np.random.default_rng(0)
    h, w = 1152, 2048
    img1 = cv2.GaussianBlur(rng.integers(60, 200, (h, w, 3)).astype(np.uint8), (0, 0), 3)
    truth = np.zeros((h, w), np.uint8)
    for x, y, r in [(300, 300, 37), (900, 500, 15), (1500, 800, 60), (1800, 200, 9)]:
        cv2.circle(truth, (x, y), r, 1, -1)
    truth = truth > 0
    img2 = img1.copy()
    img2[truth] = np.clip(img2[truth].astype(int) + 80, 0, 255).astype(np.uint8)
    result = find(img1, img2)
    assert len(result) == 4
    # measured 0.971; the working-resolution blobs scaled up (before) scored 0.836
    assert mask_f1(result.masks.union(), truth) >= 0.95


def test_a_thin_tall_objects_box_loses_its_halo_across():
    """puzzle_temple's failure: a 14 x 38 px figure on the sky came out 5 px wider on every side
    (IoU 0.49): only boxes whose longer side was short were refined, and across a thin object
    the halo is most of the box. Here: IoU 0.35 before, 0.97 now."""
    from spotdiff import find
    from spotdiff.evaluation.metrics import box_iou

    rng = np.random.default_rng(1)
    h, w = 1302, 866  # compared at a reduced working size: the halo is several pixels wide
    sky = np.linspace(170, 215, h)[:, None, None] * np.array([0.8, 0.95, 1.0])
    img1 = np.clip(sky + rng.normal(0, 2, (h, w, 3)), 0, 255).astype(np.uint8)
    img2 = img1.copy()
    truth = (428, 339, 438, 374)  # the drawn figure, exclusive ends
    cv2.rectangle(img1, (428, 340), (437, 373), (70, 65, 60), -1)  # a figure only in image 1
    cv2.circle(img1, (433, 343), 4, (60, 50, 45), -1)
    result = find(img1, img2)
    assert len(result) == 1
    assert float(box_iou(result.boxes, np.array([truth], np.float32))[0, 0]) >= 0.9


def test_a_removed_strand_under_3_px_across_gets_its_own_box():
    """puzzle_animalfarm's failure: a 2 px strand of hair removed from a wall beside a curl that
    stays came out 4 px too wide (IoU 0.39): the shift-tolerant colour cue cannot see a change
    under 3 px across, so the box kept the structural halo. The thin difference
    (:mod:`spotdiff.maps.thin`) decides there: IoU 0.23 before, 1.0 now."""
    from spotdiff import find
    from spotdiff.evaluation.metrics import box_iou

    rng = np.random.default_rng(2)
    wall = np.array([75, 40, 30]) + rng.normal(0, 2, (300, 300, 3))
    img1 = np.clip(wall, 0, 255).astype(np.uint8)
    cv2.circle(img1, (118, 100), 6, (230, 140, 50), 2)  # an orange curl in both images
    img2 = img1.copy()
    for y in range(104, 116):  # a strand 2 px wide, one step right every 4 rows, in image 1
        x = 126 + (y - 104) // 4
        img1[y, x : x + 2] = (235, 150, 60)
    result = find(img1, img2)
    assert len(result) == 1
    truth = np.array([[126, 104, 130, 116]], np.float32)
    assert float(box_iou(result.boxes, truth)[0, 0]) >= 0.9


@needs_realpairs
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_dense_puzzle_removed_strand_is_found():
    """puzzle_animalfarm: the removed strand of hair ([245, 247, 250, 259]) came out as
    [241, 247, 252, 261] (IoU 0.39: 13 TP / 1 FP / 2 FN); now 14 / 0 / 1, and 15 / 0 / 0 with
    the 3x3 hub recolour that scores 0.03, kept as a tiny strong change (:mod:`.tiny`)."""
    c = find_counts("puzzle_animalfarm")
    assert (c.tp, c.fp, c.fn) == (15, 0, 0)


@pytest.mark.parametrize(("side", "cut"), [(1, False), (3, True)], ids=["speck", "dot"])
def test_the_thin_difference_decides_a_box_only_beyond_a_speck(side, cut):
    # a dot recoloured on flat grey: the colour cue marks nothing (under 3 px across: no pixel
    # has the dot all around it); a 3x3 dot cuts the box to it, a 1 px speck (what JPEG leaves)
    # leaves the box as it is
    img1 = np.full((100, 100, 3), 120, np.uint8)
    img2 = img1.copy()
    img2[50 : 50 + side, 50 : 50 + side] = (200, 60, 40)
    halo = (45, 45, 58, 58)
    out = _refine(_one_region(halo, (100, 100)), img1, img2)
    expected = (50, 50, 50 + side, 50 + side) if cut else halo
    assert tuple(out.boxes[0].astype(int)) == expected


def _flag(img: np.ndarray, x: int, y: int, stroke: int, length: int = 8) -> None:
    """A 10x10 dark square at ``(x, y)`` with a pole ``stroke`` px wide and ``length`` px long
    on its left (drawn into ``img``)."""
    cv2.rectangle(img, (x, y), (x + 9, y + 9), (20, 20, 20), -1)
    cv2.rectangle(img, (x - length, y + 4), (x - 1, y + 3 + stroke), (20, 20, 20), -1)


@pytest.mark.parametrize(("transform", "box"), [(None, (195, 100, 210, 110)), (np.eye(3), None)])
def test_a_thin_part_the_shift_tolerance_hides_grows_an_unregistered_box(transform, box):
    # a 2 px pole on a square's side: within 1 px of every pole pixel image 2 shows the white
    # background too, so the colour cue's 1-px shift tolerance reads the pole as an edge a pixel
    # off and stops at the square. Unregistered, the plain per-pixel difference (connected to
    # the cue) gives the pole back; registered (image 2 resampled), the tolerance stays.
    img1 = np.full((200, 300, 3), 255, np.uint8)
    img2 = img1.copy()
    _flag(img2, 200, 100, 2, length=5)
    halo = (193, 95, 215, 115)
    out = _refine(_one_region(halo, (300, 200)), img1, img2, transform=transform)
    got = tuple(out.boxes[0].astype(int))
    if box is not None:
        assert got == box
    else:  # the pole lost: the box starts at the square's left (1 px of tolerance around it)
        assert got[0] >= 199 and got[2] == 210


def test_a_drawing_and_its_075x_copy_give_matching_boxes():
    """Three flags added to a line drawing, poles 2-4 px wide: at 0.75x (area-resampled) the
    2 px pole is 1.5 px and the colour cue's shift tolerance hid it (the box lost the pole, IoU
    0.52); each change's box at 0.75x, mapped back, matches its box at full size."""
    from spotdiff.detect import find
    from spotdiff.evaluation.metrics import box_iou

    img1 = np.full((300, 400, 3), 255, np.uint8)
    cv2.rectangle(img1, (40, 40), (360, 260), (0, 0, 0), 2)
    img2 = img1.copy()
    truth = []
    for k, (x, y) in enumerate([(100, 100), (200, 150), (300, 200)]):
        _flag(img2, x, y, 2 + k)
        truth.append((x - 8, y, x + 10, y + 10))
    small = [cv2.resize(im, (300, 225), interpolation=cv2.INTER_AREA) for im in (img1, img2)]
    full = find(img1, img2).boxes
    scaled = find(*small).boxes / 0.75
    assert len(full) == len(scaled) == 3
    truth = np.asarray(truth, float)
    assert box_iou(full, truth).max(axis=0).min() >= 0.9
    assert box_iou(scaled, truth).max(axis=0).min() >= 0.85
    assert box_iou(scaled, full).max(axis=0).min() >= 0.85


@needs_realpairs
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_graphic_at_075x_keeps_its_redrawn_tuft():
    """graphic_people at 0.75x (area-resampled): the hair tuft redrawn 1-2 px out along its
    contour came out as [206, 45, 218, 54] (IoU 0.41 with the truth [198, 44, 220, 56]): the
    colour cue's shift tolerance hid the thin part of the change. Now a TP."""
    from spotdiff.detect import find
    from spotdiff.evaluation.metrics import box_iou

    p = real_pair("graphic_people")
    small = [cv2.resize(im, (375, 375), interpolation=cv2.INTER_AREA) for im in (p.img1, p.img2)]
    tuft = np.asarray(p.boxes, float)[[0]] * 0.75  # [264, 58, 293, 75] at full size
    assert np.allclose(np.asarray(p.boxes, float)[0], [264, 58, 293, 75], atol=1)
    assert box_iou(find(*small).boxes, tuft).max() >= 0.5


def _dark_squares(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A drawing (400 x 400: 25 outlined flat ellipses on grey) and its copy with eight dark
    squares of 4-7 px added; their boxes (8, 4) float."""
    img1 = outlined_ellipses(np.random.default_rng(seed), (400, 400), 25, 40)
    img2, truth = img1.copy(), []
    rng = np.random.default_rng(seed + 100)
    for k in range(8):
        x = 30 + (k % 4) * 95 + int(rng.integers(0, 20))
        y = 60 + (k // 4) * 200 + int(rng.integers(0, 60))
        s = int(rng.integers(4, 8))
        rng.integers(0, 255, 3)  # (a colour drawn, not used: the squares are dark)
        img2[y : y + s, x : x + s] = 20
        truth.append((x, y, x + s, y + s))
    return img1, img2, np.asarray(truth, float)


@pytest.mark.parametrize(
    "factor",
    [
        0.6,
        0.75,
        1.5,
        pytest.param(
            2.0,
            marks=pytest.mark.xfail(
                strict=True,
                reason="open (issue 9): regions of 16-22 px are over refine.SMALL x the reach "
                "and keep their halo; SMALL 4 fixes it but costs 3 synthetic boxes and "
                "test_find_config's whole-factor match",
            ),
        ),
    ],
)
def test_small_changes_boxes_follow_the_picture_at_other_sizes(factor):
    """Squares of 4-7 px at 2x (cubic) are 8-14 px and their regions, with the structural map's
    fixed halo of ~4 px a side, 16-22 px: over 3x the window's reach, they are left unrefined
    (IoU 0.39-0.40 with their scaled truth); at 0.6x they are 2.4-4.2 px. Each change's box at
    each size has IoU >= 0.5 with its truth scaled."""
    from spotdiff.detect import find
    from spotdiff.evaluation.metrics import box_iou

    img1, img2, truth = _dark_squares()
    size = (round(400 * factor), round(400 * factor))
    how = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    a, b = (cv2.resize(im, size, interpolation=how) for im in (img1, img2))
    boxes = find(a, b).boxes
    assert len(boxes) == 8
    assert box_iou(boxes, truth * (size[0] / 400)).max(axis=0).min() >= 0.5


@pytest.mark.parametrize(("halo", "kept"), [(2, False), (1, True)])
def test_a_tiny_strong_changes_box_loses_the_halo_not_its_outline(halo, kept):
    """A tiny strong change (:mod:`spotdiff.regions.tiny`, kept under the score's floor) was
    left with its support's box: at 0.75x ``puzzle_animalfarm``'s 4 px changes came with 2 px
    of structural halo a side (IoU 0.22-0.48). A side moves in to the colour cue when it passes
    it by more than the 1 px outline (a recoloured hub's ring, part of its object)."""
    img1, img2 = _pair_with_square(rect=(200, 100, 204, 104))
    box = (200 - halo, 100 - halo, 204 + halo, 104 + halo)
    out = _refine(_one_region(box, (400, 300)), img1, img2, keep=np.array([True]))
    assert tuple(out.boxes[0].astype(int)) == (box if kept else (200, 100, 204, 104))
    crop, origin = out.masks.crop(0)
    assert tuple(origin) == tuple(out.boxes[0, :2].astype(int)) and crop.all()
