"""`python -m camera_sim run` and `render`: play a scenario (CONTRACT section 1), wired from the parts."""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import yaml

from broker.events import cloud_event
from camera_sim.commands.picture import attach_picture
from camera_sim.decide.fusion import GoalGeometry
from camera_sim.decision_events import decision_event
from camera_sim.detect.background import BACKGROUND_SAMPLES, learn_background
from camera_sim.errors import InputError
from camera_sim.expectations import missed_expectations
from camera_sim.fused_goal import FusedCamera, FusedGoal
from camera_sim.matchplay import MatchPlay, clock_text
from camera_sim.outputs import EventOutputs
from camera_sim.pictures.store import PictureStore
from camera_sim.pipeline import CameraJudge, LineDecision
from camera_sim.report import console, print_summary, progress
from camera_sim.scenario.loader import load_scenario
from camera_sim.scenario.schema import Scenario
from camera_sim.scoreboard import Scoreboard
from camera_sim.sources.calibration import write_calibration
from camera_sim.sources.rig import RigGoal, rig_document
from camera_sim.truth_check import summary_rows

CLIP_FOURCC = "mp4v"
"""MPEG-4 Part 2: written by every OpenCV build (H.264 needs an encoder the wheels lack)."""


def run(scenario_path: Path, make_outputs: Callable[[str], EventOutputs], realtime: bool = False,
        seed: int | None = None, pictures_dir: Path | None = None) -> int:
    """Play a scenario: physics, rendered frames, decisions from pixels, events; then a summary.

    pictures_dir: where each decision's picture is saved (None: no pictures).
    """
    scenario = load_scenario(scenario_path)
    pictures = PictureStore.open(pictures_dir) if pictures_dir is not None else None
    with make_outputs(scenario.match.id) as outputs:
        return _run(scenario, outputs, realtime, seed, pictures)


def _run(scenario: Scenario, outputs: EventOutputs, realtime: bool, seed: int | None,
         pictures: PictureStore | None) -> int:
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    play = MatchPlay.of(scenario)
    _note_idle_cameras(play)
    decisions = play_scenario(play, outputs, realtime, pictures)
    rows = [row for camera in play.reporting_cameras for row in summary_rows(play, camera, decisions[camera.camera_id])]
    print_summary(f"{scenario.match.id}: {scenario.match.home} v {scenario.match.away}",
                  sorted(rows, key=lambda row: row.incident_index))
    missed = missed_expectations(play, decisions)
    for line in missed:
        console.print(f"expectation missed: {line}", highlight=False)
    return 1 if missed else 0


def play_scenario(play: MatchPlay, outputs: EventOutputs, realtime: bool = False,
                  pictures: PictureStore | None = None) -> dict[str, list[LineDecision]]:
    """Render every camera's frames in match-clock order, judge them, emit events; decisions by camera.

    The events are framed by match_started and match_ended; goal and no_goal carry the score and,
    with `pictures`, their picture's reference.
    """
    cameras = play.recording_cameras
    fused_ends = play.fused_goal_ends
    judges = {}
    for camera in cameras:
        background = learn_background(camera.sample(BACKGROUND_SAMPLES))
        calibration = camera.calibration(play.ball_diameter_m)
        judges[camera.camera_id] = CameraJudge(camera.camera_id, calibration, background, camera.fps,
                                               judging=camera.config.goal not in fused_ends,
                                               clock=camera.match_clock_s)
    fused = {end: fused_goal_of(play, [c for c in cameras if c.config.goal == end]) for end in fused_ends}
    decisions: dict[str, list[LineDecision]] = {camera.camera_id: [] for camera in cameras}
    board = Scoreboard(play.scenario.match.home, play.scenario.match.away)

    def emit(camera, made: list[LineDecision]) -> None:
        for decision in made:
            event = _run_decision_event(play, camera, decision, board)
            if pictures is not None:
                # The frame is rendered again (exactly: SimulatedCamera.frame_again) rather than
                # kept: a no-goal's deepest frame may lie any time before the call is settled.
                attach_picture(event, decision, judges[camera.camera_id], camera.frame_again(decision.frame_index),
                                pictures, play.scenario.geometry.line_width_m)
            outputs.emit(event)
            decisions[camera.camera_id].append(decision)

    outputs.emit(match_event(play, "match_started", board))
    schedule = heapq.merge(*[_frame_schedule(n, camera) for n, camera in enumerate(cameras)])
    pace = _MatchPace() if realtime else None
    with progress(play.scenario.match.id, sum(c.frame_count for c in cameras)) as bar:
        for clock, n, frame_index in schedule:
            camera = cameras[n]
            if pace:
                pace.wait_for(clock)
            emit(camera, judges[camera.camera_id].process(frame_index, camera.render_frame(frame_index)))
            goal = fused.get(camera.config.goal)
            if goal is not None:  # frames come in match-clock order: so do their observations
                emit(play.camera(goal.reporter.camera_id), goal.observe(judges[camera.camera_id].take_observations()))
            bar.update()
    for camera in cameras:
        emit(camera, judges[camera.camera_id].finish())
    for goal in fused.values():
        emit(play.camera(goal.reporter.camera_id), goal.finish())
    outputs.emit(match_event(play, "match_ended", board))
    return decisions


def fused_goal_of(play: MatchPlay, cameras: list) -> FusedGoal:
    """The match-level judge of these cameras of one goal (fused_goal.py)."""
    geometry = play.scenario.geometry
    return FusedGoal([FusedCamera(c.camera_id, c.pinhole, c.fps, c.frame_at, c.stream_time_s, c.config.in_line_plane)
                      for c in cameras],
                     GoalGeometry(geometry.goal_width_m, geometry.goal_height_m, geometry.ball_diameter_m / 2))


def _write_rig(play: MatchPlay, end: str, out_dir: Path) -> None:
    """DIR/rig-<goal>.yaml: the goal's cameras, their clips and models, for `video --rig`. Every
    camera of a goal records the same incidents back to back, so stream time is the shared clock
    and a cut falls where each incident's recording starts."""
    cameras = [c for c in play.recording_cameras if c.config.goal == end]
    geometry = play.scenario.geometry
    first = cameras[0]
    cuts = [round(segment.first_frame / first.fps, 6) for segment in first.segments if segment.first_frame > 0]
    document = rig_document([(c.camera_id, f"{c.camera_id}.mp4", c.pinhole, c.fps, c.config.exposure_s)
                             for c in cameras],
                            RigGoal(width_m=geometry.goal_width_m, height_m=geometry.goal_height_m,
                                    ball_diameter_m=geometry.ball_diameter_m), cuts)
    header = f"# The {end} goal's cameras of {play.scenario.match.id}: python -m camera_sim video --rig THIS_FILE\n"
    (out_dir / f"rig-{end}.yaml").write_text(header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None),
                                               encoding="utf-8")


def _note_idle_cameras(play: MatchPlay) -> None:
    """One stderr line per camera that records nothing (none of its goal's incidents)."""
    for camera_id in play.idle_camera_ids:
        console.print(f"note: camera {camera_id} records nothing (no incident at its goal)", highlight=False)


class _MatchPace:
    """Releases frames at match pace: the wall clock runs with the match clock from the first frame."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._first_clock: float | None = None

    def wait_for(self, clock_s: float) -> None:
        """Sleep until the wall clock has run as long as the match clock since the first frame."""
        if self._first_clock is None:
            self._first_clock = clock_s
        time.sleep(max(0.0, (clock_s - self._first_clock) - (time.monotonic() - self._started)))


def _frame_schedule(n: int, camera):
    """(match clock, camera number, frame index) of every frame of a camera, in order."""
    for frame_index in range(camera.frame_count):
        yield camera.match_clock_s(frame_index), n, frame_index


def _run_decision_event(play: MatchPlay, camera, decision: LineDecision, board: Scoreboard) -> dict:
    """The event of a decision of `run` with the match context: the end, the clock, the scorer, the score."""
    clock = camera.match_clock_s(decision.frame_index)
    end = camera.config.goal
    extra = {"goal_end": end, "match_clock": clock_text(clock), "match_time_s": round(clock, 4)}
    if decision.kind == "goal":
        extra["scoring_team"] = play.goal_scorer(end, clock)
        extra["counted"] = board.goal(extra["scoring_team"], end, clock)
    return decision_event(decision, play.scenario.match.id, play.wall_time(clock), extra | board.as_data())


def match_event(play: MatchPlay, kind: str, board: Scoreboard) -> dict:
    """match_started (at kick-off) or match_ended (at the last incident's end) with the score."""
    match = play.scenario.match
    clock = 0.0 if kind == "match_started" else play.last_clock_s
    data = {"match_id": match.id, "kick_off": match.kick_off.isoformat()} | board.as_data()
    return cloud_event(kind, match.id, f"/goalline/matches/{match.id}", play.wall_time(clock), data, (match.id, kind))


def render(scenario_path: Path, out_dir: Path) -> int:
    """Write each camera's clip, its calibration and the truth."""
    scenario = load_scenario(scenario_path)
    play = MatchPlay.of(scenario)
    out_dir.mkdir(parents=True, exist_ok=True)
    _note_idle_cameras(play)
    truth = {"scenario": str(scenario_path), "match_id": scenario.match.id, "cameras": {}}
    for camera in play.recording_cameras:
        clip_path = out_dir / f"{camera.camera_id}.mp4"
        width, height = camera.config.resolution_px
        writer = cv2.VideoWriter(str(clip_path), cv2.VideoWriter_fourcc(*CLIP_FOURCC), camera.fps, (width, height))
        if not writer.isOpened():
            raise InputError(clip_path, "", "cannot write a video here")
        with progress(f"{camera.camera_id}.mp4", camera.frame_count) as bar:
            for _, frame in camera.frames():
                writer.write(frame)
                bar.update()
        writer.release()
        if camera.config.in_line_plane:
            comment = f"Camera {camera.camera_id} of {scenario_path.name}: goal line plane seen as the line below."
            write_calibration(camera.calibration(play.ball_diameter_m), out_dir / f"{camera.camera_id}.calib.yaml",
                              comment)
        else:  # a clip calibration describes a camera in the line's plane, which judges alone
            console.print(f"note: camera {camera.camera_id} stands off the goal line's plane: its clip has no "
                          f"calibration (it cannot judge alone); judge it with its goal's other cameras: "
                          f"video --rig {out_dir / ('rig-' + camera.config.goal + '.yaml')}", highlight=False)
        truth["cameras"][camera.camera_id] = [
            asdict(call) | {"label": scenario.timeline[call.incident_index].label,
                            "crossings_s": [c.time_s for c in play.truths[call.incident_index].crossings],
                            "deepest_margin_m": play.truths[call.incident_index].deepest_margin_m}
            for call in play.expected_calls(camera)
        ]
    for end in sorted(play.fused_goal_ends):
        _write_rig(play, end, out_dir)
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    console.print(f"wrote {len(play.recording_cameras)} clip(s), calibrations and truth.json to {out_dir}")
    return 0
