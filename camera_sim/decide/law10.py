"""Law 10 in the goal frame: the whole ball over the whole goal line, between the posts and under
the crossbar. The one home of the rule; pure functions on numbers.

Goal frame (metres): origin on the ground at the goal-side edge of the goal line, midway between
the posts; x along the line, y into the goal, z up.

>>> margin_m(0.13, ball_radius_m=0.11) > 0  # centre 13 cm past the goal-side edge: wholly over
True
>>> mouth_verdict((-1.0, 1.0), (0.1, 0.5), goal_width_m=7.32, goal_height_m=2.44)
'in_mouth'
>>> mouth_verdict((3.70, 3.90), (0.1, 0.5), goal_width_m=7.32, goal_height_m=2.44)
'outside_mouth'
>>> mouth_verdict((3.60, 3.70), (0.1, 0.5), goal_width_m=7.32, goal_height_m=2.44)
'mouth_uncertain'
"""

from __future__ import annotations

from typing import Literal

MouthVerdict = Literal["in_mouth", "outside_mouth", "mouth_uncertain"]


def margin_m(y_m: float, ball_radius_m: float) -> float:
    """How far the whole ball is past the goal line's goal-side edge (m): the centre's distance
    beyond it less the radius. Positive: wholly over (a goal, in the mouth); negative: some of the
    ball is still on or short of the line."""
    return y_m - ball_radius_m


def mouth_verdict(x_range_m: tuple[float, float], z_range_m: tuple[float, float],
                  goal_width_m: float, goal_height_m: float) -> MouthVerdict:
    """Where the ball's centre crossed the goal plane, given the ranges it may have crossed in
    (least and greatest x, least and greatest z, m): between the posts' inside edges and under
    the crossbar's lower edge everywhere in them (in_mouth), nowhere (outside_mouth), or not
    known (mouth_uncertain: never a goal)."""
    half = goal_width_m / 2
    (low_x, high_x), (low_z, high_z) = x_range_m, z_range_m
    if -half < low_x and high_x < half and high_z < goal_height_m:
        return "in_mouth"
    if low_x >= half or high_x <= -half or low_z >= goal_height_m:
        return "outside_mouth"
    return "mouth_uncertain"
