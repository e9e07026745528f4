"""Anti-aliasing tolerance (issue 9, mode 2): edges drawn with / without anti-aliasing or with
another font rasterization are not a change; a real change next to them still is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import spotdiff.regions.retrace as retrace_module
from spotdiff.detect import find
from spotdiff.find_config import FindConfig
from spotdiff.maps.antialias import antialias_zone, hard_changes, looks_rendered
from spotdiff.maps.colour import colour_difference

from ..realpairs import needs_realpairs, real_pair


def _render(*, smooth: bool, change: bool = False) -> np.ndarray:
    """Circles, a line, an ellipse and a text line; ``smooth``: anti-aliased shapes and text,
    else aliased shapes (LINE_8) and monochrome (unhinted bitmap) text."""
    img = np.full((360, 640, 3), 245, np.uint8)
    lt = cv2.LINE_AA if smooth else cv2.LINE_8
    cv2.circle(img, (160, 150), 70, (30, 60, 200), 3, lt)
    cv2.circle(img, (160, 150), 30, (200, 60, 30), -1, lt)
    cv2.line(img, (300, 40), (600, 120), (20, 20, 20), 2, lt)
    cv2.ellipse(img, (450, 250), (90, 40), 20, 0, 360, (0, 140, 0), 2, lt)
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    if not smooth:
        draw.fontmode = "1"
    draw.text((40, 280), "Spot the difference 123", font=ImageFont.load_default(size=28), fill=0)
    out = np.asarray(pil).copy()
    if change:
        cv2.rectangle(out, (560, 300), (600, 340), (220, 0, 0), -1)
    return out


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data

    return cv2.resize(data.astronaut(), (640, 360), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def smooth():
    return _render(smooth=True)


def test_render_with_and_without_antialiasing_gives_no_box(smooth):
    r = find(smooth, _render(smooth=False), antialias=True)
    assert len(r.boxes) == 0


def test_without_the_tolerance_the_edges_read_as_change(smooth, monkeypatch):
    # what the tolerance fixes: faint boxes along the circles and the text without it (5 before
    # object grouping joined the fragments of each shape, 2 since; the circles' box is also
    # strokes traced again, :mod:`spotdiff.regions.retrace`, which is off here)
    monkeypatch.setattr(retrace_module, "MAX_SCORE", 0.0)
    r = find(smooth, _render(smooth=False), antialias=False)
    assert len(r.boxes) >= 2


def test_real_change_next_to_antialiased_edges_is_found(smooth):
    r = find(smooth, _render(smooth=False, change=True), antialias=True)
    assert len(r.boxes) == 1
    np.testing.assert_allclose(r.boxes[0], [560, 300, 601, 341], atol=6)


def test_change_drawn_on_an_edge_is_found(smooth):
    other = smooth.copy()
    cv2.circle(other, (230, 150), 9, (0, 0, 0), -1, cv2.LINE_AA)  # a dot on the ring
    r = find(smooth, other, antialias=True)
    assert len(r.boxes) == 1
    x1, y1, x2, y2 = r.boxes[0]
    assert x1 <= 221 and x2 >= 239 and y1 <= 141 and y2 >= 159


def _grey(img):
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def test_zone_covers_redrawn_edges_only(smooth):
    rough = _render(smooth=False)
    ev = colour_difference(smooth, rough, rough) / 24.0
    zone = antialias_zone(_grey(smooth), _grey(rough), ev)
    ring = np.zeros(zone.shape, np.uint8)
    cv2.circle(ring, (160, 150), 70, 1, 3)
    assert zone[ring > 0].mean() > 0.95
    assert not zone[5:30, 5:30].any()  # flat background: no edges, no zone


def test_zone_excludes_an_object_that_disappeared(smooth):
    gone = smooth.copy()
    cv2.circle(gone, (160, 150), 30, (245, 245, 245), -1)  # the filled disc removed
    ev = colour_difference(smooth, gone, gone) / 24.0
    zone = antialias_zone(_grey(smooth), _grey(gone), ev)
    assert not zone[150, 130:190].any()


def test_zone_excludes_a_faded_element(smooth):
    faded = smooth.astype(np.float32)
    faded[200:230, 360:540] = 245 + 0.6 * (faded[200:230, 360:540] - 245)  # part of the ellipse
    faded = faded.round().astype(np.uint8)
    ev = colour_difference(smooth, faded, faded) / 24.0
    zone = antialias_zone(_grey(smooth), _grey(faded), ev)
    edge = cv2.Canny(_grey(smooth), 50, 150)[205:225, 370:530] > 0
    assert edge.any() and not zone[205:225, 370:530][edge].any()


def test_zone_of_identical_images_is_everywhere_edges_are(smooth):
    g = _grey(smooth)
    zone = antialias_zone(g, g, np.zeros(g.shape, np.float32))
    assert zone[150, 90] and not zone[10, 10]


def test_option_validated():
    assert FindConfig(antialias=True).for_size(64, 64).antialias is True
    assert FindConfig().for_size(64, 64).antialias is True  # on by default (renders only)
    assert FindConfig(antialias=False).for_size(64, 64).antialias is False
    assert FindConfig().for_size(64, 64).structure is True
    with pytest.raises(ValueError, match="antialias must be True or False"):
        FindConfig(antialias="no")


def test_applied_to_renders_only(smooth, astronaut):
    assert looks_rendered(_grey(smooth))
    assert not looks_rendered(_grey(astronaut))
    # a photograph: the option changes nothing (the synthetic benchmark's pairs stay as they were)
    other = astronaut.copy()
    other[200:230, 300:340] = (30, 200, 40)
    on, off = find(astronaut, other, antialias=True), find(astronaut, other, antialias=False)
    np.testing.assert_array_equal(on.diff_map, off.diff_map)


# ----------------------------------------- on by default: hinting, sub-pixel text, thin lines
def test_on_by_default_render_pair_gives_no_box(smooth, monkeypatch):
    assert len(find(smooth, _render(smooth=False))) == 0
    monkeypatch.setattr(retrace_module, "MAX_SCORE", 0.0)  # the tolerance alone
    assert len(find(smooth, _render(smooth=False), antialias=False)) >= 2


LINES = ["Spot the difference 123", "Sign in to continue", "Privacy  Terms  Help"]


def _supersampled_text(offset: float = 0.0) -> np.ndarray:
    """Three text lines rendered at 4x and box-reduced, shifted right by ``offset`` px."""
    big = Image.new("RGB", (640 * 4, 200 * 4), (245, 245, 245))
    draw = ImageDraw.Draw(big)
    for i, line in enumerate(LINES):
        xy = ((30 + offset) * 4, (30 + 50 * i) * 4)
        draw.text(xy, line, font=ImageFont.load_default(size=26 * 4), fill=(20, 20, 20))
    return np.asarray(big.resize((640, 200), Image.BOX))


def _hershey(line_type: int) -> np.ndarray:
    img = np.full((200, 640, 3), 245, np.uint8)
    for i, line in enumerate(LINES):
        cv2.putText(
            img, line, (30, 50 + 50 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20,) * 3, 2, line_type
        )
    return img


@pytest.mark.parametrize(
    "make",
    [
        lambda: (_supersampled_text(), _supersampled_text(0.25)),  # sub-pixel text offsets
        lambda: (_supersampled_text(), _supersampled_text(0.5)),
        lambda: (_hershey(cv2.LINE_AA), _hershey(cv2.LINE_8)),  # text with / without smoothing
        lambda: (_render(smooth=True), _render(smooth=False)),  # hinted grey vs bitmap glyphs
    ],
    ids=["subpixel-0.25", "subpixel-0.5", "cv2-text-aa-vs-aliased", "pillow-shapes-and-text"],
)
def test_text_rasterized_differently_gives_no_box(make):
    a, b = make()
    assert len(find(a, b)) == 0


@pytest.mark.parametrize(
    ("p0", "p1", "line_type"),
    [
        ((430, 335), (520, 335), cv2.LINE_8),  # horizontal, 1 px wide, in the open
        ((330, 230), (420, 330), cv2.LINE_8),  # diagonal, across the ellipse's outline
        ((330, 230), (420, 330), cv2.LINE_AA),
        ((100, 150), (220, 150), cv2.LINE_8),  # through the anti-aliased rings and the disc
    ],
    ids=["horizontal", "diagonal-over-ellipse", "diagonal-aa", "through-the-rings"],
)
@pytest.mark.parametrize("removed", [False, True], ids=["added", "removed"])
def test_thin_line_added_or_removed_is_found(smooth, p0, p1, line_type, removed):
    other = smooth.copy()
    cv2.line(other, p0, p1, (20, 20, 20), 1, line_type)
    a, b = (other, smooth) if removed else (smooth, other)
    r = find(a, b)
    assert len(r) == 1
    truth = [min(p0[0], p1[0]), min(p0[1], p1[1]), max(p0[0], p1[0]) + 1, max(p0[1], p1[1]) + 1]
    x1, y1, x2, y2 = r.boxes[0]
    assert abs(x1 - truth[0]) <= 4 and abs(x2 - truth[2]) <= 4
    assert abs(y1 - truth[1]) <= 4 and abs(y2 - truth[3]) <= 4


def test_hard_changes_are_thin_lines_not_ramps(smooth):
    rough = _render(smooth=False)
    assert hard_changes(_grey(smooth), _grey(rough)).mean() < 0.002  # a few stray pixels at most
    other = smooth.copy()
    cv2.line(other, (430, 335), (520, 335), (20, 20, 20), 1)
    hard = hard_changes(_grey(smooth), _grey(other))
    assert hard[335, 430:521].all() and hard.sum() == 91


# ------------------------------------ exact registration: edges drawn 1 px over, outlines moved
def test_edge_drawn_one_pixel_over_is_no_hard_change(smooth):
    # the anti-aliased disc's top row is solid where the aliased disc has background (1 px
    # bolder): a solid continued on one side, background on the other, no thin stroke
    rough = _render(smooth=False)
    g1, g2 = _grey(smooth), _grey(rough)
    assert (cv2.absdiff(g1, g2)[120, 155:160] > 100).all()
    assert not hard_changes(g1, g2)[118:123, 150:171].any()
    # the same row drawn as a 1-px line over the background is one
    line = smooth.copy()
    cv2.line(line, (150, 100), (170, 100), (30, 60, 200), 1)
    assert hard_changes(g1, _grey(line))[100, 150:171].all()


def _disc(dx: float = 0.0, dr: float = 0.0) -> np.ndarray:
    """An anti-aliased dark disc (radius 60 + dr, centre shifted right by dx) and a bar."""
    img = np.full((240, 320, 3), 245, np.uint8)
    centre, radius = (round((120 + dx) * 16), 120 * 16), round((60 + dr) * 16)
    cv2.circle(img, centre, radius, (40, 40, 40), -1, cv2.LINE_AA, shift=4)
    cv2.rectangle(img, (230, 20), (290, 40), (30, 90, 200), -1)
    return img


def test_outline_redrawn_further_out_is_one_box_over_the_band():
    """graphic_people's hair: an outline moved out by 3 px at one end, tapering to nothing at
    the other. Where it moved by under a pixel the tolerance alone would read anti-aliasing
    (box from x = 123); the band holds a colour seed at its far end, so it is one change."""
    a, b = _disc(), _disc(1.5, 1.5)
    r = find(a, b, align=False)
    assert len(r) == 1
    x1, y1, x2, y2 = r.boxes[0]
    assert x1 <= 100 and x2 >= 183 and y1 <= 60 and y2 >= 180


def test_moved_band_needs_a_colour_seed(smooth):
    from spotdiff.maps.antialias import moved_from_seed

    rough = _render(smooth=False)  # re-rasterized: bands everywhere, no seed anywhere
    g1, g2 = _grey(smooth), _grey(rough)
    assert not moved_from_seed(g1, g2, np.zeros(g1.shape, np.float32)).any()
    a, b = _grey(_disc()), _grey(_disc(1.5, 1.5))
    ev = np.zeros(a.shape, np.float32)
    ev[120, 182] = 2.0  # a seed at the far end of the band
    band = moved_from_seed(a, b, ev)
    assert band[120, 182] and band[66, 150] and band[62, 100]  # the whole band, ...
    assert not band[120, 60] and not band[5, 5]  # ... not where the outline stayed


@needs_realpairs
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_resampled_puzzle_grain_is_not_change():
    """puzzle_pirate (image 2 resampled and offset 2.56 px): the barrel's wood grain, redrawn a
    fraction of a pixel over, gave 4 structural boxes (scores 0.11-0.17) before the tolerance
    applied to registered pairs: the two on the lower barrel are gone, one faint box (0.15) on
    the upper barrel is left."""
    from spotdiff.evaluation.metrics import match_boxes

    p = real_pair("puzzle_pirate")
    r = find(p.img1, p.img2)
    c = match_boxes(r.boxes, r.scores, p.boxes).counts
    assert c.tp >= 8 and c.fp <= 10, c
    barrel = (r.boxes[:, 0] >= 420) & (r.boxes[:, 1] >= 400) & (r.boxes[:, 3] <= 470)
    assert not barrel.any(), r.boxes[barrel]


def _barrel(*, redrawn: bool) -> np.ndarray:
    """A 480 x 360 drawing: sky, floor, a bush, and a barrel of wood grain (a dark wavy line
    every 4 px), drawn at 4x and reduced, with scan grain (sigma 3) and JPEG q85. ``redrawn``:
    image 2 of a puzzle, the whole drawing 2.56 px right and 0.4 px down, each grain line
    redrawn up to a fraction of a pixel over (sigma 0.4 px), a white disc added on the floor."""
    k = 4
    dx, dy = (2.56, 0.4) if redrawn else (0.0, 0.0)

    def at(x: float, y: float) -> tuple[int, int]:
        return int((x + dx) * k), int((y + dy) * k)

    img = np.full((360 * k, 480 * k, 3), (120, 190, 235), np.uint8)
    cv2.rectangle(img, at(0, 240), at(480, 360), (60, 110, 170), -1)
    cv2.circle(img, at(90, 120), 50 * k, (60, 170, 60), -1)
    cv2.circle(img, at(90, 120), 50 * k, (20, 20, 20), 2 * k)
    cv2.rectangle(img, at(250, 60), at(430, 320), (215, 130, 40), -1)
    shape = np.random.default_rng(0)
    for x in range(255, 427, 4):
        ys = np.arange(60, 320, 2.0)
        xs = x + 2.5 * np.sin(ys / (9.0 + x % 5) + x) + shape.normal(0, 0.2, len(ys))
        if redrawn:
            xs = xs + np.random.default_rng(1000 + x).normal(0, 0.4, len(ys))
        pts = np.stack([(xs + dx) * k, (ys + dy) * k], 1).astype(np.int32)
        cv2.polylines(img, [pts], False, (90, 40, 10), k, cv2.LINE_8)
    cv2.rectangle(img, at(250, 60), at(430, 320), (20, 20, 20), 2 * k)
    if redrawn:
        cv2.circle(img, at(90, 300), 14 * k, (250, 250, 250), -1)
    img = cv2.resize(img, (480, 360), interpolation=cv2.INTER_AREA)
    grain = np.random.default_rng(1007 if redrawn else 7).normal(0, 3, img.shape)
    img = np.clip(img + grain, 0, 255).astype(np.uint8)
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1].copy()


def test_resampled_drawing_grain_redrawn_sub_pixel_is_not_change():
    """Image 2 offset by 2.56 px (registration resamples it) with its wood grain redrawn a
    fraction of a pixel over: 11 residue boxes on the barrel (scores 0.10-0.20) when the
    tolerance served renders only; now the added disc alone."""
    r = find(_barrel(redrawn=False), _barrel(redrawn=True))
    assert r.metadata["registration"]["method"] == "translation"
    assert len(r) == 1, (r.boxes, r.scores)
    np.testing.assert_allclose(r.boxes[0], [78, 286, 107, 315], atol=6)  # the disc


def _matched_by_dilation(bins, edge, other, other_edge):
    """The match as first written: the other image's edges of each bin dilated by a 3x3 square."""
    near = [
        cv2.dilate((other_edge & (other == b)).view(np.uint8), np.ones((3, 3), np.uint8))
        for b in range(16)
    ]
    out = np.zeros(edge.shape, bool)
    for b in range(16):
        around = near[(b - 1) % 16] | near[b] | near[(b + 1) % 16]
        out |= edge & (bins == b) & (around > 0)
    return out


@pytest.mark.parametrize("shape", [(82, 82), (5, 7), (1, 1), (3, 64)])
def test_matched_equals_the_per_bin_dilation(shape):
    from spotdiff.maps.antialias import _matched

    rng = np.random.default_rng(7)
    hits = 0
    for share in (0.05, 0.3, 0.9):
        bins1, bins2 = (rng.integers(0, 16, shape).astype(np.uint8) for _ in range(2))
        edge1, edge2 = rng.random(shape) < share, rng.random(shape) < share
        got = _matched(bins1, edge1, bins2, edge2)
        assert np.array_equal(got, _matched_by_dilation(bins1, edge1, bins2, edge2))
        hits += int(got.sum())
    assert hits > 0 or shape == (1, 1)


@pytest.mark.parametrize(
    "spots",
    [
        [(150, 160)],  # one tile
        [(60, 60), (100, 120), (300, 600)],  # a group of touching tiles and a lone corner tile
        [(10, 10), (70, 70), (130, 130), (190, 190), (250, 250)],  # a diagonal: tiles apart
        [(y, 330) for y in range(10, 360, 40)] + [(340, x) for x in range(10, 640, 40)],  # an L
    ],
)
def test_zone_where_equals_the_whole_image_zone_on_the_tiles_asked(smooth, spots):
    # the tiles holding a pixel of ``where`` are computed in windows of touching tiles: each
    # gives what the zone of the whole image gives there (the zone is local), elsewhere False
    from spotdiff.maps.antialias import TILE

    rough = _render(smooth=False, change=True)
    g1, g2 = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (smooth, rough))
    evidence = colour_difference(smooth, rough, rough) / np.float32(24.0)
    where = np.zeros(g1.shape, bool)
    for y, x in spots:
        where[y, x] = True
    tiles = np.zeros(g1.shape, bool)
    for y, x in spots:
        tiles[
            y // TILE * TILE : (y // TILE + 1) * TILE, x // TILE * TILE : (x // TILE + 1) * TILE
        ] = True
    whole = antialias_zone(g1, g2, evidence)
    got = antialias_zone(g1, g2, evidence, where=where)
    assert whole[tiles].any()  # the comparison is not all False
    np.testing.assert_array_equal(got, whole & tiles)
