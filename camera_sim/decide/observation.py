"""What one camera tells the match-level judge: where it saw the ball's centre, when, how surely."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """One camera's measurement of the ball in one frame.

    camera_id: the camera (a key of the judge's cameras). time_s: the frame's exposure centre on
    the clock all cameras share (s), so cameras at other frame rates or started at other frames
    are fused by time, not by frame number. frame_index: the frame in that camera's stream.
    centre_px: the ball's image centre (px, OpenCV convention, as recorded: lens distortion not
    removed). sigma_px: its standard error (px) in each image axis, > 0. radius_px: the fitted
    image radius (px), None when only the centre was measured.
    """

    camera_id: str
    time_s: float
    frame_index: int
    centre_px: tuple[float, float]
    sigma_px: float
    radius_px: float | None = None
