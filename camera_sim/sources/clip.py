"""Frames read from a recorded clip, checked as they come."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from camera_sim.errors import InputError

TRUNCATION_TOLERANCE_FRAMES = 2
"""Containers may over-announce a frame or two; more missing than that is a cut-short clip."""
READ_AHEAD_FRAMES = 4
"""Frames the reader thread of `frames` may hold decoded ahead of the consumer: enough to ride
out the consumer's slower frames (a rim fit, a whole-frame search), few enough that memory stays
flat (4 x 2.8 MB at 1280x720, 4 x 6.2 MB at 1920x1080). The judge is faster than the decoder on
average (about 0.4 ms against 1.1 ms a 720p frame), so a deeper queue would only sit full."""
STOP_POLL_S = 0.05
"""A reader waiting to hand over a frame looks this often whether the consumer has gone."""
SAMPLE_READERS = 2
"""`sample` seeks with this many captures at once: each seek decodes from a keyframe some frames
back (about 20 ms at 1280x720, most of the start-up's reading), and the machine has two cores."""
STREAM_DECODER_THREADS = 1
"""FFmpeg decoder threads of the capture that `frames` streams from. FFmpeg's default (one per
core) decodes one clip fastest alone, but here the judge needs the other core: measured on the
6,000-frame 1280x720 clip of bench/bench_camera.py, in one process by turns, one thread judged
the clip in 8.4 s (12.7 CPU-s) against 9.1 s (14.6 CPU-s) with the default."""
SEEK_DECODER_THREADS = 1
"""FFmpeg decoder threads of a seeking capture. Frame threading fills a pipeline of frames
after every seek before it gives the first one back: measured on the 6,000-frame 1280x720 clip
of bench/bench_camera.py, 15 seeks took 0.29 s with one thread against 0.44 s with FFmpeg's
default (two on this machine); the two seeking captures then use both cores between them."""


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

    def _open(self, decoder_threads: int | None = None) -> cv2.VideoCapture:
        """A capture of the clip; decoder_threads: FFmpeg's threads (None: its own choice)."""
        options = [] if decoder_threads is None else [cv2.CAP_PROP_N_THREADS, decoder_threads]
        capture = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, options)
        if not capture.isOpened():
            raise InputError(self.path, "", "cannot be opened as a video (not a format OpenCV can decode, or corrupt)")
        return capture

    def frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """Decode frame by frame; InputError after the last good frame if the clip is cut short.

        A reader thread decodes up to READ_AHEAD_FRAMES ahead of the consumer: VideoCapture.read
        lets go of the GIL, so on two cores the decoding of the next frames and the judging of
        this one overlap. What the reader meets (a frame, the clip's end, an error) reaches the
        consumer in that order, so a fault is raised only after every good frame before it.
        When the consumer stops early (closes the generator, or raises out of its loop), the
        reader is stopped and joined, and its capture released, before the generator ends.
        """
        reader = _Reader(self, self._open(STREAM_DECODER_THREADS))  # opened here: an unreadable clip fails in the caller's thread
        try:
            while True:
                item = reader.next_item()
                if isinstance(item, _End):
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            reader.stop()
        if self.announced_frames and item.frames + TRUNCATION_TOLERANCE_FRAMES < self.announced_frames:
            raise InputError(self.path, f"frame {item.frames}", f"the clip ends after {item.frames} of the "
                             f"{self.announced_frames} frames it announces (cut short or corrupt)")

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
        frames: list[np.ndarray] = []
        if self.announced_frames > count:
            positions = np.linspace(0, self.announced_frames - 1 - TRUNCATION_TOLERANCE_FRAMES, count).astype(int)
            frames = [frame for frame in self._sought(positions.tolist()) if frame is not None]
        if len(frames) < count // 2:  # unknown length, or seeking mostly failed: read from the start
            capture, frames = self._open(), []
            try:
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

    def _sought(self, positions: Sequence[int]) -> list[np.ndarray | None]:
        """The frames at `positions` (None where a seek or read fails), in that order, sought by
        SAMPLE_READERS captures at once, each taking every SAMPLE_READERS-th position. A seek
        lands where it would from any starting point, so the frames are those one capture finds."""
        shares = [positions[first::SAMPLE_READERS] for first in range(SAMPLE_READERS)]
        with ThreadPoolExecutor(SAMPLE_READERS, thread_name_prefix=f"sample {self.path.name}") as pool:
            found = list(pool.map(self._seek_each, shares))
        frames: list[np.ndarray | None] = [None] * len(positions)
        for first, share in enumerate(found):
            frames[first::SAMPLE_READERS] = share
        return frames

    def _seek_each(self, positions: Sequence[int]) -> list[np.ndarray | None]:
        """One capture seeking each position in turn: the frame there, or None."""
        capture = self._open(SEEK_DECODER_THREADS)
        try:
            frames: list[np.ndarray | None] = []
            for index in positions:
                capture.set(cv2.CAP_PROP_POS_FRAMES, index)
                ok, frame = capture.read()
                frames.append(self._as_bgr(frame, index) if ok and frame is not None else None)
            return frames
        finally:
            capture.release()

    def _as_bgr(self, frame: np.ndarray, index: int) -> np.ndarray:
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if (frame.shape[1], frame.shape[0]) != self.frame_size:
            raise InputError(self.path, f"frame {index}", f"frame size changes to {frame.shape[1]}x{frame.shape[0]}")
        return frame


@dataclass(frozen=True)
class _End:
    """The reader's last item: the clip ended after `frames` good frames."""

    frames: int


class _Reader:
    """The decoding thread of ClipSource.frames. It owns the capture it is given (and releases
    it) and hands over, in order, (index, frame) pairs, then an _End or the exception it met."""

    def __init__(self, source: ClipSource, capture: cv2.VideoCapture):
        self._source, self._capture = source, capture
        self._items: queue.Queue = queue.Queue(maxsize=READ_AHEAD_FRAMES)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"decode {source.path.name}", daemon=True)
        try:
            self._thread.start()
        except BaseException:
            capture.release()
            raise

    def next_item(self):
        """The next item, waiting for the reader to decode it."""
        return self._items.get()

    def stop(self) -> None:
        """Make the reader finish (it may be waiting to hand over a frame) and wait for it; the
        frames it held are dropped."""
        self._stopping.set()
        while self._thread.is_alive():
            try:
                self._items.get(timeout=STOP_POLL_S)
            except queue.Empty:
                pass
        self._thread.join()

    def _hand_over(self, item) -> bool:
        """Queue an item, waiting for room; False once the consumer has gone."""
        while not self._stopping.is_set():
            try:
                self._items.put(item, timeout=STOP_POLL_S)
                return True
            except queue.Full:
                pass
        return False

    def _run(self) -> None:
        index = 0
        try:
            while not self._stopping.is_set():
                ok, frame = self._capture.read()
                if not ok or frame is None:
                    self._hand_over(_End(index))
                    return
                if not self._hand_over((index, self._source._as_bgr(frame, index))):
                    return
                index += 1
        except BaseException as error:  # noqa: BLE001 - every fault is the consumer's to raise
            self._hand_over(error)
        finally:
            self._capture.release()
