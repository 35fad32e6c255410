"""How a frame stands against the learnt background: its brightness and its displacement.

Floodlights flicker and automatic exposure jumps: the whole picture brightens or dims, and a
plain difference with the background would light up everywhere. A camera on a mast shakes: the
picture moves by a pixel or two, and every painted line and post would become "foreground".
Both are measured per frame here (only for clips that show them while the background is learnt,
so a steady clip pays nothing) and the detector compares each frame with the background
brightened and moved to match.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GAIN_SAMPLES = 4096
"""Background pixels whose brightness ratio to the frame gives the gain (median: the ball and
players are a small minority of them)."""
GAIN_USABLE_LUMA = (30.0, 225.0)
"""Pixels too dark (noise dominates) or near saturation (clipping) say nothing about gain."""
SHIFT_SCALE = 0.5
"""The shift is first found by phase correlation of the whole picture at half size: the lines,
posts, boards and stands together are aperiodic (a small patch may hold only the net's mesh,
which repeats); then refined at full size on edge pixels (below). Measured: about 0.2 px worst
error under 2 px of shake, about 10 ms a 1280x720 frame."""
EDGE_POINTS = 20000
"""Background pixels with the steepest gradients (half in x, half in y) on which the shift found
by phase correlation is refined at full size (Lucas-Kanade, Gauss-Newton)."""
REFINE_STEPS = 3
OUTLIER_MADS = 4.0
"""Points whose residual is over 4 median absolute deviations (the ball, a player) are left out."""
EDGE_BORDER_PX = 8
MAX_SHAKE_PX = 8.0
"""Shake is a few pixels: the shift is looked for within 8 px."""
SHAKE_MIN_PX = 0.75
"""Sample frames displaced more than this from their median make a clip "shaky" (on a steady
camera the ball and players alone move the correlation peak by up to ~0.35 px)."""
GAIN_MIN_CHANGE = 0.03
"""Sample frames whose brightness differs by more than 3 % make a clip's lighting "varying"."""


@dataclass(frozen=True)
class FrameAlignment:
    """gain: frame brightness / background brightness. shift_px: (dx, dy) by which the frame's
    content is displaced from the background's (a background pixel p shows at p + shift)."""

    gain: float = 1.0
    shift_px: tuple[float, float] = (0.0, 0.0)


STEADY = FrameAlignment()


def luma(image: np.ndarray) -> np.ndarray:
    """Grey levels (float32) of a BGR or grey image."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return grey.astype(np.float32)


class FrameAligner:
    """Measures gain and shift of frames against one background image (H, W, 3) uint8."""

    def __init__(self, background: np.ndarray, measure_gain: bool, measure_shift: bool, seed: int = 0):
        self.measure_gain, self.measure_shift = measure_gain, measure_shift
        if not (measure_gain or measure_shift):
            return  # a steady clip: nothing to prepare
        grey = luma(background)
        usable = np.flatnonzero((grey > GAIN_USABLE_LUMA[0]) & (grey < GAIN_USABLE_LUMA[1]))
        chosen = np.random.default_rng(seed).choice(usable, min(GAIN_SAMPLES, len(usable)), replace=False) \
            if len(usable) else np.arange(min(GAIN_SAMPLES, grey.size))
        self._rows, self._columns = np.unravel_index(np.sort(chosen), grey.shape)
        self._reference_luma = grey[self._rows, self._columns]
        if measure_shift:
            reference = _half_size(grey)
            self._window = cv2.createHanningWindow(reference.shape[::-1], cv2.CV_32F)
            self._reference_spectrum = np.conj(np.fft.rfft2(reference * self._window))
            self._edge_points, self._edge_values, self._edge_gradients = _edge_points(grey)

    def measure(self, frame: np.ndarray) -> FrameAlignment:
        """The frame's gain and shift (each left at its neutral value unless measured)."""
        if not (self.measure_gain or self.measure_shift):
            return STEADY
        gain = self.gain_of(frame) if self.measure_gain else 1.0
        shift = self.shift_of(frame) if self.measure_shift else (0.0, 0.0)
        return FrameAlignment(gain, shift)

    def gain_of(self, frame: np.ndarray) -> float:
        """Median brightness ratio frame / background over the sample pixels."""
        pixels = frame[self._rows, self._columns].astype(np.float32)
        here = pixels @ np.float32([0.114, 0.587, 0.299]) if pixels.ndim == 2 else pixels
        return float(np.median(here / self._reference_luma))

    def shift_of(self, frame: np.ndarray) -> tuple[float, float]:
        """Displacement (px) of the frame's content from the background's."""
        shift = self._coarse_shift(frame)
        for _ in range(REFINE_STEPS):
            step = self._refine_step(frame, shift)
            if step is None:
                break
            shift += step
        return (float(shift[0]), float(shift[1]))

    def _coarse_shift(self, frame: np.ndarray) -> np.ndarray:
        """Phase correlation at half size, its peak looked for only within MAX_SHAKE_PX (the
        mowing stripes repeat, so a peak far away can win on the whole surface)."""
        spectrum = np.fft.rfft2(_half_size(luma(frame)) * self._window) * self._reference_spectrum
        surface = np.fft.irfft2(spectrum / (np.abs(spectrum) + 1e-9), s=self._window.shape)
        reach = int(np.ceil(MAX_SHAKE_PX * SHIFT_SCALE)) + 1
        near = np.roll(surface, (reach, reach), axis=(0, 1))[:2 * reach + 1, :2 * reach + 1]
        row, column = np.unravel_index(int(np.argmax(near)), near.shape)
        row_offset = _parabola_peak(near[max(row - 1, 0):row + 2, column]) if 0 < row < 2 * reach else 0.0
        column_offset = _parabola_peak(near[row, max(column - 1, 0):column + 2]) if 0 < column < 2 * reach else 0.0
        return np.array([column - reach + column_offset, row - reach + row_offset]) / SHIFT_SCALE

    def _refine_step(self, frame: np.ndarray, shift: np.ndarray) -> np.ndarray | None:
        """One robust Gauss-Newton step on frame(p + shift) = gain * background(p) over the edge points."""
        if len(self._edge_points) == 0:
            return None  # a featureless background: the coarse shift is all there is
        where = (self._edge_points + shift.astype(np.float32)).reshape(1, -1, 2)
        sampled = cv2.remap(frame, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[0]
        values = sampled.astype(np.float32) @ np.float32([0.114, 0.587, 0.299]) if sampled.ndim == 2 else \
            sampled.astype(np.float32).ravel()
        gain = float(np.median(values) / max(float(np.median(self._edge_values)), 1e-3))
        residual = values - gain * self._edge_values
        spread = float(np.median(np.abs(residual - np.median(residual)))) + 1e-3
        keep = np.abs(residual - np.median(residual)) < OUTLIER_MADS * spread
        jacobian = gain * self._edge_gradients[keep]
        normal = jacobian.T @ jacobian
        if np.linalg.det(normal) < 1e-6:
            return None
        return -np.linalg.solve(normal, jacobian.T @ residual[keep])


def _edge_points(grey: np.ndarray):
    """Steepest-gradient pixels of the background: positions (N, 2) float32, luma (N,), gradients (N, 2)."""
    smooth = cv2.GaussianBlur(grey, (0, 0), 0.8)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    inner = np.zeros(grey.shape, bool)
    inner[EDGE_BORDER_PX:-EDGE_BORDER_PX, EDGE_BORDER_PX:-EDGE_BORDER_PX] = True
    chosen = []
    for gradient in (np.abs(gx), np.abs(gy)):
        flat = np.where(inner, gradient, 0.0).ravel()
        # Select among the pixels with any gradient: on a mostly flat picture argpartition over
        # every pixel costs ten times more (0.4 s at 720p) for the same choice.
        candidates = np.flatnonzero(flat)
        keep = min(EDGE_POINTS // 2, len(candidates))
        chosen.append(candidates[np.argpartition(flat[candidates], -keep)[-keep:]] if keep else candidates)
    index = np.unique(np.concatenate(chosen))
    rows, columns = np.unravel_index(index, grey.shape)
    points = np.stack([columns, rows], axis=1).astype(np.float32)
    gradients = np.stack([gx.ravel()[index], gy.ravel()[index]], axis=1)
    return points, smooth.ravel()[index], gradients


def _parabola_peak(values: np.ndarray) -> float:
    """Sub-sample offset of the peak of three samples (left, centre, right)."""
    left, centre, right = (float(v) for v in values)
    curvature = left - 2 * centre + right
    return 0.0 if curvature >= 0 else 0.5 * (left - right) / curvature


def _half_size(grey: np.ndarray) -> np.ndarray:
    return cv2.resize(grey, None, fx=SHIFT_SCALE, fy=SHIFT_SCALE, interpolation=cv2.INTER_AREA)
