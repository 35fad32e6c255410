"""The static background of a fixed camera, learnt from the clip's own frames."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from camera_sim.detect.alignment import GAIN_MIN_CHANGE, SHAKE_MIN_PX, FrameAligner
from camera_sim.detect.median import level_median, pixel_median

BACKGROUND_SAMPLES = 15
"""Frames spread over the stream whose per-pixel median is the background: a ball that is
in fewer than half of them (moving, or resting only briefly) leaves no trace."""
COARSE_STRIDE = 4
"""Acquisition searches every 4th pixel in each direction: a 20 px ball still covers ~20 samples."""


NOISE_SAMPLES = 3
"""Frames whose difference from the learnt background measures the noise (three are plenty)."""
STATIC_EDGE_GRADIENT = 40.0
"""Grey-level step (Sobel magnitude / 4, i.e. per pixel) that makes a background pixel an edge."""
STATIC_EDGE_DILATION_PX = 2


REGISTRATION_ERROR_PX = 0.35
"""Worst error of a shaky frame's measured shift (detect.alignment; measured up to ~0.26 px)."""
SHADOW_RATIO = (0.2, 0.92)
"""A shadow leaves between 20 % and 92 % of the light (the ball's shadow in sunshine: ~45 %)."""
SHADOW_RATIO_SPREAD = 0.12
"""...and dims every colour channel alike: frame / background ratios within 0.12 of each other."""
GROUND_CHROMA_MIN = 20.0
"""Only on coloured ground (grass: channels differ by 20+ grey levels). On white paint a shadow
and the shaded side of a white ball look alike, so there nothing is taken for shadow."""


@dataclass(frozen=True)
class Background:
    """image: (H, W, 3) uint8 BGR; coarse: the same at COARSE_STRIDE; noise_level: typical
    per-pixel |frame - background| (channel mean, grey levels) of an empty frame;
    static_edges: (H, W) bool, True within 2 px of a sharp edge of the background;
    shaky / varying_light: the sample frames moved / changed brightness against one another,
    so every frame's shift / gain must be measured (detect.alignment)."""

    image: np.ndarray
    coarse: np.ndarray
    noise_level: float
    static_edges: np.ndarray
    shaky: bool = False
    varying_light: bool = False
    edge_tolerance: np.ndarray | None = None
    """Shaky clips only: (H, W) uint8, the difference a background edge makes when the frame's
    registration is off by REGISTRATION_ERROR_PX; it is taken off the difference there."""
    coarse_edge_tolerance: np.ndarray | None = None

    def aligner(self) -> FrameAligner:
        """Per-frame gain and shift measurement, switched on as this clip needs."""
        return FrameAligner(self.image, self.varying_light, self.shaky)


def mean_abs_difference(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """|frame - background| per colour channel, then their luma-weighted mean: uint8 (H, W).

    Luma weights (cv2.cvtColor) rather than an even mean: the same job at a fifth of the cost
    of cv2.transform, and a white ball differs from green grass in every channel anyway.
    """
    difference = cv2.absdiff(frame, background)
    if difference.ndim == 2:
        return difference
    return cv2.cvtColor(difference, cv2.COLOR_BGR2GRAY)


CLIPPED_LEVEL = 250
"""A pixel this bright may have been clipped by the sensor: its true brightness is unknown."""


def coarse_view(frame: np.ndarray) -> np.ndarray:
    """Every COARSE_STRIDE-th pixel of each COARSE_STRIDE-th row (cv2.resize: 5x faster than slicing)."""
    height, width = frame.shape[:2]
    size = ((width + COARSE_STRIDE - 1) // COARSE_STRIDE, (height + COARSE_STRIDE - 1) // COARSE_STRIDE)
    return cv2.resize(frame, size, interpolation=cv2.INTER_NEAREST)


def foreground_difference(frame: np.ndarray, background: np.ndarray, threshold: float) -> np.ndarray:
    """mean_abs_difference with shadow pixels set to 0: uint8 (h, w).

    A pixel over `threshold` is shadow when it is darker than the background by the same
    factor in every channel on coloured ground (see SHADOW_RATIO): the ball's own shadow
    and players' shadows are not the ball.
    """
    difference = mean_abs_difference(frame, background)
    if difference.ndim != 2 or frame.ndim != 3:
        return difference
    # Only pixels darker than the background can be shadow: the white ball has few or none.
    darkening = cv2.cvtColor(cv2.subtract(background, frame), cv2.COLOR_BGR2GRAY)
    _, darker = cv2.threshold(darkening, threshold / 2, 1, cv2.THRESH_BINARY)
    if cv2.countNonZero(darker) == 0:
        return difference
    _, over = cv2.threshold(difference, threshold, 1, cv2.THRESH_BINARY)
    candidates = cv2.bitwise_and(over, darker)
    if cv2.countNonZero(candidates) == 0:
        return difference
    found = cv2.findNonZero(candidates).reshape(-1, 2)  # several times faster than np.nonzero here
    rows, columns = found[:, 1], found[:, 0]
    here = frame[rows, columns].astype(np.float32)
    empty = background[rows, columns].astype(np.float32)
    ratio = (here + 1.0) / (empty + 1.0)
    low, high = ratio.min(axis=1), ratio.max(axis=1)
    shadow = ((low > SHADOW_RATIO[0]) & (high < SHADOW_RATIO[1]) & (high - low < SHADOW_RATIO_SPREAD)
              & (empty.max(axis=1) - empty.min(axis=1) > GROUND_CHROMA_MIN))
    difference[rows[shadow], columns[shadow]] = 0
    return difference


def learn_background(samples: list[np.ndarray]) -> Background:
    """Median of sample frames (each (H, W, 3) uint8) and the noise left around it.

    When the samples show camera shake or changing brightness, each is first moved and
    scaled onto the first median, and the median is taken again.
    """
    image = pixel_median(samples)
    aligner = FrameAligner(image, measure_gain=True, measure_shift=True)
    shifts = np.array([aligner.shift_of(frame) for frame in samples])
    gains = np.array([aligner.gain_of(frame) for frame in samples])
    shaky = bool(np.max(np.hypot(*(shifts - np.median(shifts, axis=0)).T)) > SHAKE_MIN_PX)
    varying_light = bool(np.max(np.abs(gains / np.median(gains) - 1.0)) > GAIN_MIN_CHANGE)
    if shaky or varying_light:
        aligned = _aligned(samples, shifts, gains, shaky, varying_light)
        if shaky:  # measure the shifts again against the sharper median, and align again
            shifts = np.array([FrameAligner(pixel_median(aligned), False, True).shift_of(frame) for frame in samples])
            aligned = _aligned(samples, shifts, gains, shaky, varying_light)
        samples, image = aligned, pixel_median(aligned)
    differences = [mean_abs_difference(frame, image) for frame in samples[:NOISE_SAMPLES]]
    noise = level_median(np.concatenate([d.ravel() for d in differences]))
    tolerance = _registration_tolerance(image) if shaky else None
    return Background(image=image, coarse=coarse_view(image), noise_level=noise, static_edges=_static_edges(image),
                      shaky=shaky, varying_light=varying_light, edge_tolerance=tolerance,
                      coarse_edge_tolerance=None if tolerance is None else coarse_view(tolerance))


def _aligned(samples, shifts, gains, shaky: bool, varying_light: bool) -> list[np.ndarray]:
    """The samples moved onto their median position and dimmed to the darkest one.

    Brightness is referred to the darkest sample: brighter frames clip at 255, and the
    background brightened to match a frame then clips the same way.
    """
    darkest = int(np.argmin(gains))
    relative = gains / gains[darkest] if varying_light else np.ones(len(samples))
    steady = (shifts - np.median(shifts, axis=0)) if shaky else np.zeros_like(shifts)
    reference = _undo(samples[darkest], tuple(map(float, steady[darkest])), 1.0)
    return [_undo(frame, (float(shift[0]), float(shift[1])), float(gain), reference)
            for frame, shift, gain in zip(samples, steady, relative)]


def _undo(frame: np.ndarray, shift: tuple[float, float], gain: float, reference: np.ndarray | None = None):
    """The frame moved back by `shift` and dimmed by 1 / gain; where it was clipped at white,
    the reference frame's pixels stand in (what lies under a clipped pixel is unknown)."""
    if shift != (0.0, 0.0):
        back = np.float32([[1, 0, -shift[0]], [0, 1, -shift[1]]])
        frame = cv2.warpAffine(frame, back, (frame.shape[1], frame.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    if gain == 1.0:
        return frame
    dimmed = cv2.convertScaleAbs(frame, alpha=1.0 / gain)
    if reference is not None and gain > 1.0:
        clipped = (frame >= CLIPPED_LEVEL).any(axis=-1, keepdims=True) if frame.ndim == 3 else frame >= CLIPPED_LEVEL
        dimmed = np.where(clipped, reference, dimmed)
    return dimmed


def _registration_tolerance(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    slope = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)) / 8.0
    slope = cv2.dilate(slope, np.ones((3, 3), np.uint8))  # the edge may sit a pixel either way
    return np.clip(slope * REGISTRATION_ERROR_PX, 0, 255).astype(np.uint8)


def _static_edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    magnitude = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)) / 4.0
    edges = (magnitude > STATIC_EDGE_GRADIENT).astype(np.uint8)
    size = 2 * STATIC_EDGE_DILATION_PX + 1
    return cv2.dilate(edges, np.ones((size, size), np.uint8)).astype(bool)
