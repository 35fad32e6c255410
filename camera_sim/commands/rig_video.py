"""`python -m camera_sim video --rig RIG.yaml`: judge one goal's synchronised clips together, in 3D.

Each clip is followed by its own CameraJudge (observing, not judging: see fused_goal.py); the
frames of all clips are taken in the order of the rig's shared clock, so the match-level judge
receives every camera's observations in time order, whatever their frame rates and start times.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from broker.events import ID_PATTERN
from camera_sim import laws
from camera_sim.commands.picture import attach_picture
from camera_sim.decide.fusion import GoalGeometry
from camera_sim.decision_events import decision_event
from camera_sim.detect.background import BACKGROUND_SAMPLES, learn_background
from camera_sim.errors import InputError
from camera_sim.fused_goal import FusedCamera, FusedGoal
from camera_sim.outputs import EventOutputs
from camera_sim.pictures.store import PictureStore
from camera_sim.pipeline import CameraJudge, LineDecision
from camera_sim.report import print_decisions, progress
from camera_sim.sources.calibration import calibration_of_camera
from camera_sim.sources.clip import ClipSource
from camera_sim.sources.rig import Rig, RigCamera, check_sees_mouth, load_rig


class _RigClip:
    """One camera of the rig: its clip, model, judge and place on the shared clock."""

    def __init__(self, rig: Rig, index: int, rig_path: Path):
        config: RigCamera = rig.cameras[index]
        self.config = config
        self.clip = ClipSource(config.clip, config.fps)
        self.pinhole = config.pinhole(self.clip.frame_size)
        check_sees_mouth(rig, index, self.pinhole, rig_path)
        fps = self.clip.fps
        cuts = sorted({round((cut - config.start_s) * fps) for cut in rig.cuts_s if cut > config.start_s})
        calibration = calibration_of_camera(self.pinhole, config.in_line_plane, rig.goal.width_m, rig.goal.height_m,
                                            rig.goal.ball_diameter_m, fps, config.exposure_s, cuts)
        background = learn_background(self.clip.sample(BACKGROUND_SAMPLES))
        self.judge = CameraJudge(config.id, calibration, background, fps, judging=False, clock=self.time_s)

    def time_s(self, frame_index: int) -> float:
        """A frame's exposure centre on the rig's shared clock (s)."""
        return self.config.start_s + frame_index / self.clip.fps

    def frame_at(self, time_s: float) -> int | None:
        frame = round((time_s - self.config.start_s) * self.clip.fps)
        last = self.clip.announced_frames - 1 if self.clip.announced_frames else None
        return frame if frame >= 0 and (last is None or frame <= last) else None

    def fused(self) -> FusedCamera:
        return FusedCamera(self.config.id, self.pinhole, self.clip.fps, self.frame_at,
                           lambda time_s: time_s - self.config.start_s, self.config.in_line_plane)

    def schedule(self, number: int) -> Iterator[tuple[float, int, int, np.ndarray]]:
        for frame_index, frame in self.clip.frames():
            yield self.time_s(frame_index), number, frame_index, frame


def video_rig(rig_path: Path, match_id: str | None, make_outputs: Callable[[str], EventOutputs],
              pictures_dir: Path | None = None) -> int:
    """Judge the rig's clips together; events named after `match_id` (default: the rig file's name)."""
    rig = load_rig(rig_path)
    if match_id is not None and not re.fullmatch(ID_PATTERN, match_id):
        raise InputError("--match-id", "", "1 to 64 letters, digits, '-' or '_', starting with a letter or digit "
                                           "(it is part of routing keys)")
    clips = [_RigClip(rig, index, rig_path) for index in range(len(rig.cameras))]
    goal = FusedGoal([clip.fused() for clip in clips],
                     GoalGeometry(rig.goal.width_m, rig.goal.height_m, rig.goal.ball_diameter_m / 2))
    pictures = PictureStore.open(pictures_dir) if pictures_dir is not None else None
    match_id = match_id or re.sub(r"[^A-Za-z0-9_-]+", "-", rig_path.stem).strip("-_")[:64] or "rig"
    with make_outputs(match_id) as outputs:
        return _judge_rig(clips, goal, sorted(rig.cuts_s), match_id, outputs, pictures, rig_path)


def _judge_rig(clips: list[_RigClip], goal: FusedGoal, cuts_s: list[float], match_id: str, outputs: EventOutputs,
               pictures: PictureStore | None, rig_path: Path) -> int:
    made: list[dict] = []
    reporter = next(clip for clip in clips if clip.config.id == goal.reporter.camera_id)

    def emit(decisions: list[LineDecision]) -> None:
        for decision in decisions:
            event = decision_event(decision, match_id, datetime.now(timezone.utc), {})
            if pictures is not None:
                attach_picture(event, decision, reporter.judge, reporter.clip.frame_at(decision.frame_index),
                               pictures, laws.LINE_WIDTH_M)  # a rig gives no line width: Law 1's
            outputs.emit(event)
            made.append(event["data"] | {"kind": decision.kind})

    total = sum(clip.clip.announced_frames for clip in clips) or None
    try:
        with progress(rig_path.name, total) as bar:
            for time_s, number, frame_index, frame in heapq.merge(*[c.schedule(n) for n, c in enumerate(clips)]):
                while cuts_s and time_s >= cuts_s[0]:
                    cuts_s.pop(0)
                    emit(goal.cut())
                judge = clips[number].judge
                judge.process(frame_index, frame)
                emit(goal.observe(judge.take_observations()))
                bar.update()
    finally:
        emit(goal.finish())  # decisions up to a truncation still count
    print_decisions(f"{rig_path.name}: {len(clips)} cameras fused in 3D", made)
    return 0
