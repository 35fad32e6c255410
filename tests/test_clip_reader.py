"""ClipSource's reader thread: the same frames as a plain VideoCapture loop, faults raised after
every good frame, and no thread or capture left behind when the consumer stops early."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camera_sim.errors import InputError
from camera_sim.sources import clip as clip_module
from camera_sim.sources.clip import READ_AHEAD_FRAMES, ClipSource

SIZE = (160, 120)
"""Small frames: these tests are about the stream, not the pixels."""
FRAMES = 90
FPS = 25.0
KEEP_FRACTION = 0.6
"""A cut clip keeps this share of its bytes: some frames decode, the rest are missing."""
JOIN_WAIT_S = 2.0
"""Longest a stopped reader may take to go (it stops within one decode and one poll)."""


def noise_clip(path: Path) -> Path:
    """An mp4v clip of FRAMES frames of noise, each frame different (so order shows)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    assert writer.isOpened()
    rng = np.random.default_rng(7)
    for index in range(FRAMES):
        frame = rng.integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
        cv2.putText(frame, str(index), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory) -> Path:
    return noise_clip(tmp_path_factory.mktemp("reader") / "noise.mp4")


@pytest.fixture(scope="module")
def avi_path(tmp_path_factory) -> Path:
    """The same in AVI, whose index is at the end: a cut copy still decodes up to the cut."""
    return noise_clip(tmp_path_factory.mktemp("reader") / "noise.avi")


def plain_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def readers_alive() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("decode ")]


def wait_for_no_reader() -> None:
    deadline = time.monotonic() + JOIN_WAIT_S
    while readers_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not readers_alive()


def test_frames_are_those_of_a_plain_read_loop_in_order(clip_path):
    expected = plain_frames(clip_path)
    got = list(ClipSource(clip_path).frames())
    assert [index for index, _ in got] == list(range(len(expected)))
    assert all(np.array_equal(frame, want) for (_, frame), want in zip(got, expected))
    wait_for_no_reader()


def test_closing_the_generator_early_stops_the_reader(clip_path):
    frames = ClipSource(clip_path).frames()
    for index, _ in frames:
        if index == 2:
            break
    assert len(readers_alive()) == 1  # still held by the open generator, waiting with a full queue
    frames.close()
    assert not readers_alive()  # close() returns only after the reader is joined


def test_an_exception_in_the_consumer_stops_the_reader(clip_path):
    def consume():
        for index, _ in ClipSource(clip_path).frames():
            if index == READ_AHEAD_FRAMES + 1:
                raise RuntimeError("consumer failed")

    with pytest.raises(RuntimeError, match="consumer failed"):
        consume()
    wait_for_no_reader()


def test_a_fault_in_the_reader_comes_after_every_frame_before_it(clip_path, monkeypatch):
    source = ClipSource(clip_path)
    checked = source._as_bgr
    bad_index = 7

    def failing(frame, index):
        if index == bad_index:
            raise InputError(source.path, f"frame {index}", "made to fail")
        return checked(frame, index)

    monkeypatch.setattr(source, "_as_bgr", failing)
    seen = []
    with pytest.raises(InputError, match="made to fail"):
        for index, _ in source.frames():
            seen.append(index)
    assert seen == list(range(bad_index))
    wait_for_no_reader()


def test_a_cut_clip_yields_every_good_frame_then_input_error(avi_path, tmp_path):
    cut = tmp_path / "cut.avi"
    data = avi_path.read_bytes()
    cut.write_bytes(data[:int(len(data) * KEEP_FRACTION)])
    good = plain_frames(cut)
    assert 0 < len(good) < FRAMES
    source = ClipSource(cut)
    seen = []
    with pytest.raises(InputError, match="cut short"):
        for index, frame in source.frames():
            seen.append(frame)
    assert len(seen) == len(good)
    assert all(np.array_equal(frame, want) for frame, want in zip(seen, good))
    wait_for_no_reader()


def test_sample_finds_the_frames_one_capture_seeking_in_turn_finds(clip_path):
    source = ClipSource(clip_path)
    count = 9
    positions = np.linspace(0, source.announced_frames - 1 - clip_module.TRUNCATION_TOLERANCE_FRAMES,
                            count).astype(int)
    capture = cv2.VideoCapture(str(clip_path))
    expected = []
    for index in positions:
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        expected.append(capture.read()[1])
    capture.release()
    got = source.sample(count)
    assert len(got) == count
    assert all(np.array_equal(frame, want) for frame, want in zip(got, expected))


def test_frame_at_still_reads_one_frame_again(clip_path):
    expected = plain_frames(clip_path)
    source = ClipSource(clip_path)
    for index in (0, 41, FRAMES - 1):
        assert np.array_equal(source.frame_at(index), expected[index])
    assert source.frame_at(FRAMES + 5) is None
