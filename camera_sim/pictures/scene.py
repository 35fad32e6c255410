"""What a decision picture shows, in the pixels of the frame it is drawn on: the goal line from
the calibration and the ball's circle as the detection measured it (never the simulator's truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from camera_sim.goal_line import GoalLine, Point
from camera_sim.pipeline import LineDecision

CENTIMETRE_M = 0.01
MILLIMETRE_SWITCH_M = 0.01
"""Below 1 cm a margin is said in millimetres ("4 mm short")."""
METRE_SWITCH_M = 0.10
"""From 10 cm a margin is said in metres ("0.61 m over"), as consumers/notifications.py does."""


@dataclass(frozen=True)
class PictureScene:
    """A decision's geometry in the pixels of the frame the picture is made from.

    line: the goal-side edge of the goal line, its normal towards the goal side.
    ball_centre_px, ball_radius_px: the detection's circle.
    margin_px, margin_m: the decision's signed margin (positive = wholly over); margin_m None when
    unknown (then the picture says pixels).
    ball_radius_m: the ball's true radius, the ruler of the top-down sketch.
    line_width_m: the painted line's width, drawn as the band of the sketch.
    details: small print under the headline (camera, frame, confidence).
    note: said in the picture when the circle is not the frame's own measurement.
    """

    kind: Literal["goal", "no_goal"]
    line: GoalLine
    ball_centre_px: Point
    ball_radius_px: float
    margin_px: float
    margin_m: float | None
    ball_radius_m: float
    line_width_m: float
    details: str = ""
    note: str | None = None


def distance_text(metres: float) -> str:
    """How far, as a fan would say it: "0.61 m", "6 cm", "4 mm" (sign dropped).

    >>> distance_text(0.6112), distance_text(-0.0622), distance_text(0.0041)
    ('0.61 m', '6 cm', '4 mm')
    """
    metres = abs(metres)
    if metres >= METRE_SWITCH_M:
        return f"{metres:.2f} m"
    if metres >= MILLIMETRE_SWITCH_M:
        return f"{metres / CENTIMETRE_M:.0f} cm"
    return f"{metres * 1000:.0f} mm"


def headline(kind: str, margin_m: float | None, margin_px: float) -> str:
    """The picture's headline: margin_m when known, else margin_px.

    >>> headline("goal", 0.6112, 50.2), headline("no_goal", -0.0041, -0.4), headline("goal", None, 5.13)
    ('GOAL — 0.61 m over', 'NO GOAL — 4 mm short', 'GOAL — 5.1 px over')
    """
    how_far = distance_text(margin_m) if margin_m is not None else f"{abs(margin_px):.1f} px"
    return f"GOAL — {how_far} over" if kind == "goal" else f"NO GOAL — {how_far} short"


def shifted(line: GoalLine, shift_px: Point) -> GoalLine:
    """The line as a frame displaced by shift_px (camera shake) shows it."""
    normal = line.normal
    return GoalLine(normal, line.offset - normal[0] * shift_px[0] - normal[1] * shift_px[1])


def scene_of(decision: LineDecision, goal_line: GoalLine, frame_shift_px: Point, ball_radius_m: float,
             line_width_m: float) -> PictureScene | None:
    """The scene of a decision's picture; None when the decision carries no measured circle.

    goal_line: the calibration's line (background pixels); frame_shift_px: the picture frame's
    displacement from the background (camera shake), by which both the line and the circle move.
    """
    if decision.ball_centre_px is None or decision.ball_radius_px is None:
        return None
    dx, dy = frame_shift_px
    centre = (decision.ball_centre_px[0] + dx, decision.ball_centre_px[1] + dy)
    details = f"camera {decision.camera_id}   frame {decision.frame_index}   {decision.confidence:.2%} sure"
    return PictureScene(
        kind="goal" if decision.kind == "goal" else "no_goal",
        line=shifted(goal_line, frame_shift_px),
        ball_centre_px=centre,
        ball_radius_px=decision.ball_radius_px,
        margin_px=decision.margin_px,
        margin_m=decision.margin_m,
        ball_radius_m=ball_radius_m,
        line_width_m=line_width_m,
        details=details,
        note=_note(decision),
    )


def _note(decision: LineDecision) -> str | None:
    """What the picture must say when its circle is not this frame's own measurement."""
    if decision.evidence == "interpolated":
        if decision.hidden_frames > 0:
            return (f"ball hidden {decision.hidden_frames} frames: circle measured in frame {decision.ball_frame}, "
                    "crossing from the track")
        return f"wholly over between frames (impact): circle measured in frame {decision.ball_frame}"
    if decision.ball_frame is not None and decision.ball_frame != decision.frame_index:
        return f"circle measured in frame {decision.ball_frame}"
    if decision.evidence == "partly_hidden":
        return f"{decision.hidden_frames} frames at the line were hidden"
    return None
