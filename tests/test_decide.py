"""Law 10 at one camera, on plain numbers: distances in pixels from the goal line."""

from __future__ import annotations

import pytest

from camera_sim.decide.crossing import CONFIRM_FRAMES, CrossingJudge

RADIUS_PX = 10.0


def feed(judge: CrossingJudge, centre_distances_px, first_frame: int = 0):
    calls = []
    for offset, distance in enumerate(centre_distances_px):
        if distance is None:
            calls += judge.ball_lost(first_frame + offset)
        else:
            calls += judge.observe(first_frame + offset, distance, RADIUS_PX)
    return calls


def test_a_ball_that_goes_wholly_over_is_a_goal_from_its_first_frame_over():
    calls = feed(CrossingJudge(), [-30, -15, -2, 4, 12, 20])  # margins ... -6, +2, +10
    assert [c.kind for c in calls] == ["goal"]
    assert (calls[0].frame_index, calls[0].margin_px, calls[0].decided_frame) == (4, 2.0, 5)


def test_the_goal_waits_for_confirming_evidence_in_a_following_frame():
    judge = CrossingJudge()
    assert feed(judge, [-30, 11]) == []  # one frame over is not yet a goal
    assert [c.kind for c in feed(judge, [12], first_frame=2)] == ["goal"]
    assert CONFIRM_FRAMES == 2


def test_a_single_frame_blip_over_the_line_is_not_a_goal():
    calls = feed(CrossingJudge(), [-30, -5, 11, -5, -30, -40])
    assert [c.kind for c in calls] == ["no_goal"]


def test_a_goal_is_given_once_however_long_the_ball_stays_in():
    calls = feed(CrossingJudge(), [-30, 15, 20] + [40] * 200 + [None, 35, 30])
    assert [c.kind for c in calls] == ["goal"]


def test_a_ball_back_in_play_can_cross_again_for_a_second_goal():
    calls = feed(CrossingJudge(), [-30, 15, 20, 25, -40, -45, -30, 15, 20])
    assert [c.kind for c in calls] == ["goal", "goal"]


def test_a_ball_part_over_that_comes_back_out_is_a_no_goal_at_its_deepest_frame():
    calls = feed(CrossingJudge(), [-30, -8, -3, -1, -6, -25, -30])
    assert [(c.kind, c.frame_index, c.margin_px) for c in calls] == [("no_goal", 3, -11.0)]


def test_a_ball_part_over_that_leaves_the_view_is_a_no_goal():
    calls = feed(CrossingJudge(), [-30, -5, -4, None])
    assert [c.kind for c in calls] == ["no_goal"]


def test_a_no_goal_about_a_ball_lost_from_view_at_the_line_is_only_half_sure():
    calls = feed(CrossingJudge(), [-30, -5, -4, None])  # last seen part over: it may have gone on in
    assert [(c.evidence, c.confidence) for c in calls] == [("lost_at_line", 0.5)]


def test_a_no_goal_about_a_ball_seen_back_out_before_it_left_the_view_keeps_its_confidence():
    calls = feed(CrossingJudge(), [-30, -5, -4, -25, None])
    assert [(c.evidence, c.confidence) for c in calls] == [("measured", 0.9999)]


def test_a_near_miss_seen_part_over_in_one_frame_only_is_a_no_goal():
    calls = feed(CrossingJudge(), [-40, -30, -6, -30, -40])  # leading edge 4 px over, in one frame
    assert [(c.kind, c.frame_index) for c in calls] == [("no_goal", 2)]


def test_one_frame_barely_part_over_is_no_call():
    assert feed(CrossingJudge(), [-40, -30, -9.5, -30, -40]) == []  # leading edge 0.5 px over: noise


def test_a_ball_that_never_reaches_the_line_gives_no_call():
    assert feed(CrossingJudge(), [-60, -40, -20, -40, None]) == []


def test_the_crossing_time_is_interpolated_between_frames():
    calls = feed(CrossingJudge(), [-20, 6, 14, 22])  # margins -30, -4, 4, 12
    assert calls[0].frame_index == 2
    assert calls[0].crossing_frame == pytest.approx(1.5)


def test_a_second_crossing_is_interpolated_from_its_own_last_frame_outside():
    calls = feed(CrossingJudge(), [-30, 15, 20, 25, -40, -45, 15, 20])  # margins ... -50, -55, +5, +10
    assert [c.kind for c in calls] == ["goal", "goal"]
    assert calls[1].crossing_frame == pytest.approx(5 + 55 / 60)



def test_a_fast_impact_wholly_over_only_between_frames_is_a_goal_from_the_approach_and_rebound():
    # In at 20 px a frame, back out at 12 (a wall 3 px past the line at frame 3.4): no frame sees it over.
    margins = [-65, -45, -25, -5, -4.2, -16.2, -28.2, -40.2, -52.2]
    calls = feed(CrossingJudge(), [m + RADIUS_PX for m in margins])
    assert [c.kind for c in calls] == ["goal"]
    assert calls[0].frame_index == 4 and calls[0].evidence == "interpolated" and calls[0].hidden_frames == 0


def test_at_high_frame_rates_each_line_of_an_impact_is_fitted_through_more_frames():
    # In at 20 px a frame, out at 9: the lines meet 1.3 px past the line between frames 6 and 7,
    # where no frame sees it over. Through the 2 frames nearest the apex a side that is 2 of its
    # standard errors (no goal); at 250 frames/s the lines take 4 and 3 frames, 3.2 of them.
    margins = [-126.7, -106.7, -86.7, -66.7, -46.7, -26.7, -6.7, -4.1, -13.1, -22.1, -31.1, -40.1]
    distances = [m + RADIUS_PX for m in margins]
    assert [c.kind for c in feed(CrossingJudge(), distances)] == ["no_goal"]
    calls = feed(CrossingJudge(fps=250), distances)
    assert [(c.kind, c.frame_index, c.evidence) for c in calls] == [("goal", 7, "interpolated")]
    assert calls[0].margin_px == pytest.approx(1.3)


def test_frames_from_before_a_touch_are_kept_out_of_an_impact_line():
    # 40 px a frame until a touch at frame 5, 20 after it, against a wall 0.5 px short of the
    # line: a line through the frames either side of the touch would meet the rebound 1.9 px over.
    margins = [-228.5, -188.5, -148.5, -108.5, -68.5, -28.5, -8.5, -5.9, -14.9, -23.9, -32.9, -41.9, -50.9]
    calls = feed(CrossingJudge(fps=250), [m + RADIUS_PX for m in margins])
    assert [c.kind for c in calls] == ["no_goal"]


def test_one_frame_measured_far_over_at_the_apex_of_an_impact_is_a_goal():
    # margins -70, -46, -22, +2 (6.7 sigma), -6, -14: driven at a wall behind the line, back out;
    # the approach and rebound lines meet at +2 px, so the apex frame is no deeper than they allow
    calls = feed(CrossingJudge(), [-60, -36, -12, 12, 4, -4, -30, -40])
    assert [(c.kind, c.frame_index, c.margin_px, c.evidence) for c in calls] == [("goal", 3, 2.0, "measured")]


def test_one_frame_just_over_at_the_apex_of_an_impact_is_not_a_goal_on_its_own():
    # the apex frame is over by 0.5 px (under 4 sigma) and the approach and rebound lines meet short
    calls = feed(CrossingJudge(), [-36, -24, -8, 10.5, -4, -14, -30, -40])
    assert [c.kind for c in calls] == ["no_goal"]


def test_one_frame_read_far_deeper_than_its_approach_and_rebound_allow_is_not_a_goal():
    # margins -46, -34, +6 (a misread blob: the lines either side meet 20 px short), -34, -46
    calls = feed(CrossingJudge(), [-36, -24, 16, -4, -24, -36, -40])
    assert "goal" not in [c.kind for c in calls]


def test_a_goal_confirmed_after_an_unseen_frame_is_given_at_the_first_frame_seen_over():
    judge = CrossingJudge()
    calls = [c for frame, distance in ((0, -30), (1, 12), (3, 15), (4, 18))
             for c in judge.observe(frame, distance, RADIUS_PX)]
    assert [(c.kind, c.frame_index, c.decided_frame) for c in calls] == [("goal", 1, 4)]


def test_a_lone_frame_read_wholly_over_leaves_a_no_goal_only_half_sure():
    calls = feed(CrossingJudge(), [-51, -31, -11, 15, 9, 7, -11, -31, -51])  # margins ... +5, -1, -3 ...
    assert [(c.kind, c.confidence) for c in calls] == [("no_goal", 0.5)]


def test_a_near_miss_seen_part_over_in_one_frame_is_only_as_sure_as_its_motion_allows():
    calls = feed(CrossingJudge(), [-51, -31, -11, 7, -11, -31, -51])  # margins -61 ... -3 ...: 18 px a frame, it may have gone over
    assert [(c.kind, c.confidence) for c in calls] == [("no_goal", 0.5)]


def test_a_frame_read_wholly_over_from_part_of_the_rim_is_no_frame_over():
    judge = CrossingJudge()
    calls = []
    for frame, distance in enumerate([-30, -15, 14, 16, 15, 14]):
        calls += judge.observe(frame, distance, RADIUS_PX, partial_rim=frame >= 2)
    assert calls == []
