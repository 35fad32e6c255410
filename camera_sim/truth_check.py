"""Decisions against the physics' truth: the agreement rule and the summary's rows (checking only)."""

from __future__ import annotations

from camera_sim.matchplay import ExpectedCall, MatchPlay, clock_text
from camera_sim.pipeline import LineDecision
from camera_sim.report import SummaryRow

FRAME_TOLERANCE = 1
"""A goal's first-over frame agrees with the truth within one frame."""


def summary_rows(play: MatchPlay, camera, decisions: list[LineDecision]) -> list[SummaryRow]:
    """One row per incident this camera saw: its decisions against the truth."""
    rows = []
    for expected in play.expected_calls(camera):
        incident = play.scenario.timeline[expected.incident_index]
        mine = [d for d in decisions if expected.first_frame <= d.frame_index <= expected.last_frame]
        rows.append(_row(expected, mine, f"{clock_text(incident.at_s)[:-3]} {incident.label}"))
    return rows


def agrees(expected: ExpectedCall, decisions: list[LineDecision]) -> bool:
    """One decision of the expected kind, at the expected frame (goal) within tolerance."""
    if expected.kind is None:
        return not decisions
    if len(decisions) != 1 or decisions[0].kind != expected.kind:
        return False
    return expected.kind != "goal" or abs(decisions[0].frame_index - expected.frame_index) <= FRAME_TOLERANCE


def _row(expected: ExpectedCall, decisions: list[LineDecision], label: str) -> SummaryRow:
    decided = ", ".join(d.kind for d in decisions) or "none"
    frame = " ".join(str(d.frame_index) for d in decisions) or "-"
    margin = " ".join(f"{d.margin_m * 1000:+.0f}" for d in decisions) or "-"
    true_frame = "-" if expected.frame_index is None else str(expected.frame_index)
    true_margin = "-" if expected.margin_m is None else f"{expected.margin_m * 1000:+.0f} mm"
    notes = ["crossed outside the goal mouth"] if expected.outside_mouth else []
    notes += [f"no goal: {d.reason.replace('_', ' ')}" for d in decisions if d.reason is not None]
    notes += [f"{d.kind} seen either side of {d.hidden_frames} hidden frames" for d in decisions
              if d.evidence == "interpolated"]
    notes += [f"fused in 3D from {len(d.cameras)} cameras" for d in decisions if d.cameras]
    note = "; ".join(notes)
    verdict = "yes" if agrees(expected, decisions) else "NO"
    return SummaryRow(expected.incident_index, label, expected.camera_id, expected.kind or "none", decided,
                      f"{frame} / {true_frame}", f"{margin} / {true_margin}", verdict, note)
