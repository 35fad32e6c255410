"""A scenario that checks itself: each incident's `expect:` against the calls made about it.

The incident's call is what the match gets: a goal when any camera called one, else a no-goal
when any camera called one, else none.
"""

from __future__ import annotations

from camera_sim.matchplay import MatchPlay
from camera_sim.pipeline import LineDecision


def incident_call(play: MatchPlay, incident_index: int, decisions: dict[str, list[LineDecision]]) -> str:
    """'goal', 'no_goal' or 'none': the match's call about one incident, over every camera."""
    kinds = set()
    for camera in play.recording_cameras:
        for segment in camera.segments:
            if segment.incident_index != incident_index:
                continue
            last = segment.first_frame + segment.frame_count - 1
            kinds |= {d.kind for d in decisions[camera.camera_id] if segment.first_frame <= d.frame_index <= last}
    return "goal" if "goal" in kinds else "no_goal" if "no_goal" in kinds else "none"


def missed_expectations(play: MatchPlay, decisions: dict[str, list[LineDecision]]) -> list[str]:
    """One line per incident whose `expect:` was not met, naming the incident, what was expected
    and what was called; empty when every expectation holds."""
    missed = []
    for index, incident in enumerate(play.scenario.timeline):
        if incident.expect is None:
            continue
        called = incident_call(play, index, decisions)
        if called != incident.expect:
            label = f" ({incident.label})" if incident.label else ""
            missed.append(f"timeline[{index}]{label}: expected {incident.expect}, called {called}")
    return missed
