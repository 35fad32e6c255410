"""Following the ball from frame to frame: a constant-velocity Kalman filter in pixels."""

from __future__ import annotations

import cv2
import numpy as np

PROCESS_NOISE_PX = 2.0
"""Unmodelled acceleration per frame (bounces, deflections, gravity in the image)."""
MEASUREMENT_NOISE_PX = 0.3
"""Centre error of one measurement: a few tenths of a pixel (tests/test_detect.py bounds it at 0.2 px)."""
INITIAL_SPEED_SPREAD_PX = 20.0
"""A new track's speed is unknown: up to ~20 px per frame either way (a shot at 250 frames/s)."""
SEARCH_MARGIN_PX = 2.0
SEARCH_SPEED_SHARE = 0.5
"""Search radius: 2 px, plus half the speed (px/frame) for a change of pace, plus a radius per missed frame."""
RADIUS_SMOOTHING = 0.5
"""Weight of a new free-fit radius in the track's running radius."""


class BallTrack:
    """One ball track. State [x, y, vx, vy] in px and px/frame, hidden behind properties."""

    def __init__(self, x_px: float, y_px: float, radius_px: float, radius_sure: bool = True):
        self._filter = cv2.KalmanFilter(4, 2)
        self._filter.transitionMatrix = np.array(
            [[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32
        )
        self._filter.measurementMatrix = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
        # Discrete white-acceleration model: position takes (dt^2 / 2)^2 = 1/4 of the velocity's variance.
        self._filter.processNoiseCov = np.diag([0.25, 0.25, 1.0, 1.0]).astype(np.float32) * PROCESS_NOISE_PX**2
        self._filter.measurementNoiseCov = np.eye(2, dtype=np.float32) * MEASUREMENT_NOISE_PX**2
        self._filter.statePost = np.array([[x_px], [y_px], [0.0], [0.0]], np.float32)
        spread = INITIAL_SPEED_SPREAD_PX**2
        self._filter.errorCovPost = np.diag([MEASUREMENT_NOISE_PX**2] * 2 + [spread] * 2).astype(np.float32)
        self.radius_px = radius_px
        self.radius_sure = radius_sure
        """False while the radius comes only from fits to part of the rim (a ball half behind a
        post when first found): a size to start from, not one to hold against what is seen."""
        self.misses = 0
        self.measured_frames = 1

    @property
    def estimate(self) -> tuple[float, float]:
        state = self._filter.statePost
        return float(state[0, 0]), float(state[1, 0])

    @property
    def velocity(self) -> tuple[float, float]:
        state = self._filter.statePost
        return float(state[2, 0]), float(state[3, 0])

    def predict(self) -> tuple[float, float]:
        """Advance one frame; returns the predicted centre (px)."""
        state = self._filter.predict()
        return float(state[0, 0]), float(state[1, 0])

    def update(self, x_px: float, y_px: float, radius_px: float | None, radius_sure: bool = True) -> None:
        """Correct with a measured centre; radius_px None when it was held, not measured;
        radius_sure False when it was fitted to part of the rim only (it then refines an unsure
        radius, and never moves a sure one)."""
        self._filter.correct(np.array([[x_px], [y_px]], np.float32))
        if radius_px is not None and radius_sure and not self.radius_sure:
            self.radius_px, self.radius_sure = radius_px, True  # the first sure size replaces the guess
        elif radius_px is not None and (radius_sure or not self.radius_sure):
            self.radius_px += RADIUS_SMOOTHING * (radius_px - self.radius_px)
        self.misses = 0
        self.measured_frames += 1

    @property
    def knows_velocity(self) -> bool:
        """Two measurements give a velocity; before that it is a guess of zero."""
        return self.measured_frames >= 2

    def miss(self) -> None:
        """No measurement this frame: keep the prediction as the state."""
        self._filter.statePost = self._filter.statePre.copy()
        self._filter.errorCovPost = self._filter.errorCovPre.copy()
        self.misses += 1

    def search_radius_px(self) -> float:
        """How far from the prediction to look: grows with speed and with every missed frame."""
        speed = float(np.hypot(*self.velocity))
        return SEARCH_MARGIN_PX + SEARCH_SPEED_SHARE * speed + self.radius_px * (1 + self.misses)
