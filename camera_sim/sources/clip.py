"""Frames read from a recorded clip, checked as they come."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from camera_sim.errors import InputError

TRUNCATION_TOLERANCE_FRAMES = 2
"""Containers may over-announce a frame or two; more missing than that is a cut-short clip."""


class ClipSource:
    """A video file as a stream of (frame_index, (H, W, 3) uint8 BGR) frames."""

    def __init__(self, path: str | Path, fps: float | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "", "no such file" if not self.path.exists() else "is not a file")
        capture = self._open()
        ok, first = capture.read()
        if not ok or first is None:
            capture.release()
            raise InputError(self.path, "frame 0", "the clip has no decodable frames")
        self.frame_size = (first.shape[1], first.shape[0])
        reported_fps = capture.get(cv2.CAP_PROP_FPS)
        self.announced_frames = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        capture.release()
        self.fps = fps or (reported_fps if reported_fps and reported_fps > 0 else None)
        if self.fps is None:
            raise InputError(self.path, "fps", "the clip reports no frame rate; give fps in the calibration")

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise InputError(self.path, "", "cannot be opened as a video (not a format OpenCV can decode, or corrupt)")
        return capture

    def frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """Decode frame by frame; InputError after the last good frame if the clip is cut short."""
        capture = self._open()
        index = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    break
                yield index, self._as_bgr(frame, index)
                index += 1
        finally:
            capture.release()
        if self.announced_frames and index + TRUNCATION_TOLERANCE_FRAMES < self.announced_frames:
            raise InputError(
                self.path, f"frame {index}", f"the clip ends after {index} of the {self.announced_frames} frames it announces (cut short or corrupt)"
            )

    def frame_at(self, frame_index: int) -> np.ndarray | None:
        """One frame read again (its picture after a decision), by a capture of its own, so the
        stream being judged reads on undisturbed; None if the clip has no such frame.

        Seeks (exact for the clips OpenCV writes, tested), and reads from the start instead when
        the decoder says it landed elsewhere. One frame is held at a time."""
        capture = self._open()
        try:
            capture.set(cv2.CAP_PROP_POS_FRAMES, frame_index)
            ok, frame = capture.read()
            if not ok or frame is None or int(capture.get(cv2.CAP_PROP_POS_FRAMES)) != frame_index + 1:
                capture.release()
                capture, frame = self._open(), None
                for _ in range(frame_index + 1):
                    ok, frame = capture.read()
                    if not ok:
                        return None
        finally:
            capture.release()
        return None if frame is None else self._as_bgr(frame, frame_index)

    def sample(self, count: int) -> list[np.ndarray]:
        """Frames spread over the clip (seeking), or its first ones when the length is unknown."""
        capture = self._open()
        frames: list[np.ndarray] = []
        try:
            if self.announced_frames > count:
                for index in np.linspace(0, self.announced_frames - 1 - TRUNCATION_TOLERANCE_FRAMES, count).astype(int):
                    capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
                    ok, frame = capture.read()
                    if ok and frame is not None:
                        frames.append(self._as_bgr(frame, int(index)))
            if len(frames) < count // 2:  # unknown length, or seeking mostly failed: read from the start
                capture.release()
                capture, frames = self._open(), []
                for index in range(count):
                    ok, frame = capture.read()
                    if not ok or frame is None:
                        break
                    frames.append(self._as_bgr(frame, index))
        finally:
            capture.release()
        if not frames:
            raise InputError(self.path, "frame 0", "the clip has no decodable frames")
        return frames

    def _as_bgr(self, frame: np.ndarray, index: int) -> np.ndarray:
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if (frame.shape[1], frame.shape[0]) != self.frame_size:
            raise InputError(self.path, f"frame {index}", f"frame size changes to {frame.shape[1]}x{frame.shape[0]}")
        return frame
