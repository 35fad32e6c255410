"""A decision's picture, drawn, saved and referenced from its event: shared by `run` and `video`."""

from __future__ import annotations

import numpy as np

from camera_sim.pictures.draw import draw_decision
from camera_sim.pictures.scene import scene_of
from camera_sim.pictures.store import PictureStore
from camera_sim.pipeline import CameraJudge, LineDecision
from camera_sim.report import console


def attach_picture(event: dict, decision: LineDecision, judge: CameraJudge, frame: np.ndarray | None,
                    pictures: PictureStore, line_width_m: float) -> None:
    """Draw the decision's picture from `frame` (the frame of event["data"]["frame"]), save it
    named by the event's id and add its reference to the event's data as `picture`. The id is
    derived from the decision alone (broker.events.event_id), never from data, so adding the
    reference leaves it as it was. A picture that cannot be made or written is said on stderr;
    the event goes out without it (pictures are an extra, the call is not)."""
    where = f"{decision.kind} at frame {decision.frame_index} of {decision.camera_id}"
    scene = None if frame is None else scene_of(decision, judge.goal_line, judge.frame_shift_px(frame),
                                                judge.ball_radius_m, line_width_m)
    if scene is None:
        console.print(f"warning: no picture of the {where} (no frame or no measured circle)", highlight=False)
        return
    try:
        event["data"]["picture"] = pictures.save(event["subject"], event["id"], draw_decision(frame, scene).image)
    except OSError as error:
        console.print(f"warning: the picture of the {where} could not be written ({error})", highlight=False)
