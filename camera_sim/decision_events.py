"""Decisions as CONTRACT section 3 events: the `data` fields and the CloudEvents envelope."""

from __future__ import annotations

from datetime import datetime

from broker.events import cloud_event
from camera_sim.pipeline import LineDecision


def decision_data(decision: LineDecision, match_id: str) -> dict:
    """The `data` of a goal / no_goal event (CONTRACT section 3 plus project fields)."""
    data = {
        "match_id": match_id,
        "camera_id": decision.camera_id,
        "frame": decision.frame_index,
        "video_time_s": round(decision.video_time_s, 6),
        "margin_px": round(decision.margin_px, 3),
        "margin_m": round(decision.margin_m, 4),
        "ball_radius_px": round(decision.radius_px, 3),
        "decided_frame": decision.decided_frame,
        "confidence": decision.confidence,
        "evidence": decision.evidence,
        "hidden_frames": decision.hidden_frames,
    }
    if decision.crossing_time_s is not None:
        data["crossing_video_time_s"] = round(decision.crossing_time_s, 6)
    data["in_mouth"] = decision.in_mouth
    if decision.reason is not None:
        data["reason"] = decision.reason
    place = decision.placement
    if place is not None and place.x_m is not None:
        data["goal_plane_m"] = {"x": round(place.x_m, 3), "z": round(place.z_m, 3), "sigma": round(place.sigma_m, 3),
                                "sigma_across": round(place.sigma_across_m, 3)}
    if decision.cameras:
        data["cameras"] = list(decision.cameras)
        data["position_m"] = dict(zip("xyz", (round(v, 4) for v in decision.position_m)))
        data["margin_sigma_m"] = round(decision.margin_sigma_m, 4)
    return data


def decision_event(decision: LineDecision, match_id: str, when: datetime, extra: dict) -> dict:
    """A goal / no_goal CloudEvent; its id is stable for the same match, camera, kind and frame.

    when: the occurrence's wall time; extra: project fields added to `data`.
    """
    data = decision_data(decision, match_id) | extra
    identity = (match_id, decision.camera_id, decision.kind, decision.frame_index)
    return cloud_event(decision.kind, match_id, f"/goalline/cameras/{decision.camera_id}", when, data, identity)
