"""What a person reads for each event: one line, pure text (colour is the terminal's business)."""

from __future__ import annotations

from consumers.events import CloudEvent

CENTIMETRE_M = 0.01
MOUTH_REASONS = {
    "outside_mouth": "the whole ball crossed the line, but wide of the posts or over the bar",
    "mouth_uncertain": "the whole ball crossed the line too near a post or the bar to tell whether it was in",
    "line_uncertain": "the ball was measured over the line, but never surely wholly over",
}
"""What a no-goal's data.reason means to a person (Law 10: between the posts and under the bar)."""


def _distance(margin_m: float) -> str:
    """0.61 m, or 4 cm below 10 cm: what a fan would say."""
    metres = abs(margin_m)
    return f"{metres * 100:.0f} cm" if metres < 10 * CENTIMETRE_M else f"{metres:.2f} m"


def _teams(data: dict, fallback: str) -> str:
    score = data.get("score")
    if isinstance(score, dict) and "home" in data and "away" in data:
        return f"{data['home']} {score.get('home', 0)}-{score.get('away', 0)} {data['away']}"
    return fallback


def _where(data: dict) -> str:
    clock = f"{data['match_clock']}  " if "match_clock" in data else ""
    cameras = data.get("cameras")
    if isinstance(cameras, list) and len(cameras) > 1:  # fused in 3D: camera_id only gives the frame
        return f"{clock}{len(cameras)} cameras in 3D, frame {data['frame']} of {data['camera_id']}"
    return f"{clock}camera {data['camera_id']}, frame {data['frame']}"


def _evidence(data: dict) -> str:
    """How sure, and how seen: "  (99.9% sure; hidden 12 frames, from the track either side)"."""
    parts = []
    if isinstance(data.get("confidence"), (int, float)):
        parts.append(f"{data['confidence'] * 100:.1f}% sure")
    hidden = data.get("hidden_frames")
    if data.get("evidence") == "interpolated" and isinstance(hidden, int):
        parts.append(f"hidden {hidden} frames, from the track either side")
    elif data.get("evidence") == "partly_hidden" and isinstance(hidden, int):
        parts.append(f"ball hidden for {hidden} frames near the line")
    elif data.get("evidence") == "impact":
        parts.append("deepest between frames, where the paths in and out meet")
    elif data.get("evidence") == "lost_at_line":
        parts.append("ball lost from view at the line, not seen coming back out")
    return f"  ({'; '.join(parts)})" if parts else ""


def notification(event: CloudEvent) -> tuple[str, str]:
    """(headline, line) for an event; headline is GOAL, NO GOAL, KICK-OFF, FULL TIME or the kind."""
    data, match = event.data, event.subject
    if event.kind == "goal":
        margin = data.get("margin_m")
        over = f"ball {_distance(margin)} over the line" if margin is not None else f"{data['margin_px']:.1f} px over"
        scorer = f"{data['scoring_team']} score!  " if "scoring_team" in data else ""
        return "GOAL", f"{scorer}{_teams(data, match)}  {_where(data)}  {over}{_evidence(data)}"
    if event.kind == "no_goal":
        why = MOUTH_REASONS.get(data.get("reason"))
        if why is not None:
            return "NO GOAL", f"{_teams(data, match)}  {_where(data)}  {why}{_evidence(data)}"
        margin = data.get("margin_m")
        short = f"ball stayed {_distance(margin)} short" if margin is not None else f"{-data['margin_px']:.1f} px short"
        return "NO GOAL", f"{_teams(data, match)}  {_where(data)}  {short} of being wholly over{_evidence(data)}"
    if event.kind == "match_started":
        return "KICK-OFF", f"{data.get('home', '?')} v {data.get('away', '?')}  ({match})"
    if event.kind == "match_ended":
        return "FULL TIME", f"{_teams(data, match)}"
    return event.kind.upper(), match
