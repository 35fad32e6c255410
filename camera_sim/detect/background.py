"""The static background of a fixed camera, learnt from the clip's own frames."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

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


@dataclass(frozen=True)
class Background:
    """image: (H, W, 3) uint8 BGR; coarse: the same at COARSE_STRIDE; noise_level: typical
    per-pixel |frame - background| (channel mean, grey levels) of an empty frame;
    static_edges: (H, W) bool, True within 2 px of a sharp edge of the background."""

    image: np.ndarray
    coarse: np.ndarray
    noise_level: float
    static_edges: np.ndarray


def mean_abs_difference(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """|frame - background| per colour channel, then their luma-weighted mean: uint8 (H, W).

    Luma weights (cv2.cvtColor) rather than an even mean: the same job at a fifth of the cost
    of cv2.transform, and a white ball differs from green grass in every channel anyway.
    """
    difference = cv2.absdiff(frame, background)
    if difference.ndim == 2:
        return difference
    return cv2.cvtColor(difference, cv2.COLOR_BGR2GRAY)


MEDIAN_BAND_ROWS = 32
"""The median is taken 32 rows at a time: a whole-frame stack of 15 HD frames would double the memory."""


def coarse_view(frame: np.ndarray) -> np.ndarray:
    """Every COARSE_STRIDE-th pixel of each COARSE_STRIDE-th row (cv2.resize: 5x faster than slicing)."""
    height, width = frame.shape[:2]
    size = ((width + COARSE_STRIDE - 1) // COARSE_STRIDE, (height + COARSE_STRIDE - 1) // COARSE_STRIDE)
    return cv2.resize(frame, size, interpolation=cv2.INTER_NEAREST)


def learn_background(samples: list[np.ndarray]) -> Background:
    """Median of sample frames (each (H, W, 3) uint8) and the noise left around it."""
    image = np.empty_like(samples[0])
    for top in range(0, image.shape[0], MEDIAN_BAND_ROWS):
        band = np.stack([frame[top:top + MEDIAN_BAND_ROWS] for frame in samples])
        image[top:top + MEDIAN_BAND_ROWS] = np.median(band, axis=0)
    differences = [mean_abs_difference(frame, image) for frame in samples[:NOISE_SAMPLES]]
    noise = float(np.median(np.concatenate([d.ravel() for d in differences])))
    coarse = coarse_view(image)
    return Background(image=image, coarse=coarse, noise_level=noise, static_edges=_static_edges(image))


def _static_edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    magnitude = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)) / 4.0
    edges = (magnitude > STATIC_EDGE_GRADIENT).astype(np.uint8)
    size = 2 * STATIC_EDGE_DILATION_PX + 1
    return cv2.dilate(edges, np.ones((size, size), np.uint8)).astype(bool)
