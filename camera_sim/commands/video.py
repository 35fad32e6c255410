"""`python -m camera_sim video`: judge a recorded clip with its calibration (CONTRACT section 1).

Kept apart from the scenario commands so that judging a clip loads neither the physics nor the
renderer: start-up is part of the command's time (bench/bench_camera.py times it whole).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from broker.events import ID_PATTERN
from camera_sim import laws
from camera_sim.commands.picture import attach_picture
from camera_sim.decision_events import decision_event
from camera_sim.detect.background import BACKGROUND_SAMPLES, learn_background
from camera_sim.errors import InputError
from camera_sim.outputs import EventOutputs
from camera_sim.pictures.store import PictureStore
from camera_sim.pipeline import CameraJudge, LineDecision
from camera_sim.report import print_decisions, progress
from camera_sim.sources.calibration import Calibration, check_mouth, load_calibration
from camera_sim.sources.clip import ClipSource


def default_calibration_path(clip: Path) -> Path:
    """CONTRACT section 1: the clip's path with .calib.yaml in place of its extension."""
    return clip.with_suffix(".calib.yaml")


def video(clip_path: Path, calib_path: Path | None, match_id: str | None,
          make_outputs: Callable[[str], EventOutputs], pictures_dir: Path | None = None) -> int:
    """Judge a recorded clip with the same detection and decision code as `run`.

    pictures_dir: where each decision's picture is saved (None: no pictures).
    """
    if not clip_path.is_file():
        raise InputError(clip_path, "", "no such file" if not clip_path.exists() else "is not a file")
    calib_path = calib_path or default_calibration_path(clip_path)
    calibration: Calibration = load_calibration(calib_path)
    clip = ClipSource(clip_path, calibration.fps)
    _check_line_crosses_frame(calibration, clip.frame_size, calib_path)
    check_mouth(calibration, clip.frame_size, calib_path)
    camera_id = _identifier(clip_path.stem)
    if match_id is not None and not re.fullmatch(ID_PATTERN, match_id):
        raise InputError("--match-id", "", "1 to 64 letters, digits, '-' or '_', starting with a letter or digit "
                                           "(it is part of routing keys)")
    pictures = PictureStore.open(pictures_dir) if pictures_dir is not None else None
    judge = CameraJudge(camera_id, calibration, learn_background(clip.sample(BACKGROUND_SAMPLES)), clip.fps)
    match_id = match_id or camera_id
    with make_outputs(match_id) as outputs:
        return _judge_clip(clip, judge, match_id, outputs, pictures)


def _check_line_crosses_frame(calibration: Calibration, frame_size: tuple[int, int], calib_path: Path) -> None:
    """A goal line that misses the picture (say, the calibration of a larger clip) can never be
    crossed: bad input, not a silent 'no decision'."""
    width, height = frame_size
    line = calibration.line()
    corners = [(-0.5, -0.5), (width - 0.5, -0.5), (-0.5, height - 0.5), (width - 0.5, height - 0.5)]
    if len({line.signed_distance_px(corner) > 0 for corner in corners}) == 1:
        raise InputError(calib_path, "goal_line", f"the line lies outside the clip's {width}x{height} frame "
                                                  "(a calibration for another clip size?)")


def _judge_clip(clip: ClipSource, judge: CameraJudge, match_id: str, outputs: EventOutputs,
                pictures: PictureStore | None = None) -> int:
    made: list[dict] = []

    def emit(decisions: list[LineDecision]) -> None:
        for decision in decisions:
            event = decision_event(decision, match_id, datetime.now(timezone.utc), {})
            if pictures is not None:
                # The frame is read again from the clip rather than kept: a no-goal's deepest
                # frame may lie any time before the call is settled. A calibration has no line
                # width: Law 1's 12 cm for the sketch.
                attach_picture(event, decision, judge, clip.frame_at(decision.frame_index), pictures,
                                laws.LINE_WIDTH_M)
            outputs.emit(event)
            made.append(event["data"] | {"kind": decision.kind})

    try:
        with progress(clip.path.name, clip.announced_frames or None) as bar:
            for frame_index, frame in clip.frames():
                emit(judge.process(frame_index, frame))
                bar.update()
    finally:
        emit(judge.finish())  # decisions up to a truncation still count
    print_decisions(f"{clip.path.name}: {clip.fps:g} frames/s", made)
    return 0


def _identifier(text: str) -> str:
    """A camera id made from a file name: what broker.events.ID_PATTERN allows."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).lstrip("-_").rstrip("-")
    return cleaned[:64] or "clip"
