"""A rig file: the synchronised clips of one goal's cameras, each calibrated in OpenCV's conventions.

```yaml
goal:                        # the pitch, in the goal frame (README, "Scenario format"); all optional
  width_m: 7.32
  height_m: 2.44
  ball_diameter_m: 0.22
cameras:                     # two or more
  - id: gl-right
    clip: gl-right.mp4       # relative to the rig file
    K: [[1745.3, 0, 639.5], [0, 1745.3, 359.5], [0, 0, 1]]
    R: [[...], [...], [...]] # goal frame -> camera (rows: the camera's x right, y down, z forward)
    t: [0.0, 1.2, 18.3]      # m: a goal-frame point p is at R p + t in the camera's frame
    distortion: [0, 0, 0, 0] # k1, k2, p1, p2 (optional)
    fps: 250                 # optional: overrides the container's
    start_s: 0.0             # optional: the clip's first frame on the rig's shared clock (s)
    exposure_s: 0.0005       # optional: the shutter time
cuts_s: []                   # optional: shared-clock moments where every clip jumps to another moment
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from camera_sim import laws
from camera_sim.camera.pinhole import NO_DISTORTION, PinholeCamera
from camera_sim.errors import InputError
from camera_sim.validation import load_model

ORTHONORMAL_TOLERANCE = 1e-4
"""R R^T may differ from the identity by this much in any entry (rotations written to 5-6
decimals); more is not a rotation."""
LINE_PLANE_TOLERANCE_M = 0.05
"""A camera centre within 5 cm of the goal line's vertical plane stands in it (its picture shows
the plane as a line): surveyed rigs place them to a centimetre or two."""

Row3 = tuple[float, float, float]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RigGoal(_Strict):
    width_m: float = Field(laws.GOAL_WIDTH_M, gt=3.0, le=12.0)
    """Between the posts' inside edges (Law 1)."""
    height_m: float = Field(laws.GOAL_HEIGHT_M, gt=1.0, le=4.0)
    """From the ground to the crossbar's lower edge (Law 1)."""
    ball_diameter_m: float = Field(laws.BALL_DIAMETER_M, gt=0.05, le=0.5)
    """Law 2."""


class RigCamera(_Strict):
    id: Identifier
    clip: Path
    K: tuple[Row3, Row3, Row3]
    """Intrinsics (px): [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]."""
    R: tuple[Row3, Row3, Row3]
    """Rotation from the goal frame to the camera's (orthonormal, determinant +1)."""
    t: Row3
    """Translation (m): a goal-frame point p is at R p + t in the camera's frame."""
    distortion: tuple[float, float, float, float] = NO_DISTORTION
    fps: float | None = Field(None, gt=0.0, le=10000.0)
    start_s: float = 0.0
    exposure_s: float | None = Field(None, ge=0.0, le=1.0)

    @field_validator("K")
    @classmethod
    def _intrinsics(cls, value):
        K = np.asarray(value)
        if K[0, 0] <= 0 or K[1, 1] <= 0 or K[1, 0] != 0 or K[2, 0] != 0 or K[2, 1] != 0 or K[2, 2] != 1:
            raise ValueError("must be [[fx, s, cx], [0, fy, cy], [0, 0, 1]] with fx, fy > 0")
        return value

    @field_validator("R")
    @classmethod
    def _rotation(cls, value):
        R = np.asarray(value)
        if np.abs(R @ R.T - np.eye(3)).max() > ORTHONORMAL_TOLERANCE or np.linalg.det(R) <= 0:
            raise ValueError("is not a rotation (R R^T must be the identity, det R = +1)")
        return value

    def pinhole(self, frame_size: tuple[int, int]) -> PinholeCamera:
        """The camera model for frames of `frame_size` (width, height) px."""
        return PinholeCamera(K=np.asarray(self.K, float), R=np.asarray(self.R, float), t=np.asarray(self.t, float),
                             width_px=frame_size[0], height_px=frame_size[1], distortion=self.distortion)

    @property
    def in_line_plane(self) -> bool:
        centre = -np.asarray(self.R, float).T @ np.asarray(self.t, float)
        return abs(float(centre[1])) < LINE_PLANE_TOLERANCE_M


class Rig(_Strict):
    goal: RigGoal = RigGoal()
    cameras: list[RigCamera] = Field(min_length=2, max_length=14)
    """Two or more: one camera alone cannot place the ball in 3D (a single clip: `video CLIP`)."""
    cuts_s: list[float] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> "Rig":
        ids = [camera.id for camera in self.cameras]
        for index, camera_id in enumerate(ids):
            if camera_id in ids[:index]:
                raise ValueError(f"cameras[{index}].id '{camera_id}' is given twice")
        return self


def load_rig(path: str | Path) -> Rig:
    """Load and check a rig file; InputError (one line) on any fault. Clip paths come back
    resolved against the rig file's folder."""
    rig = load_model(path, Rig, "cameras")
    folder = Path(path).parent
    cameras = [camera.model_copy(update={"clip": folder / camera.clip}) for camera in rig.cameras]
    for index, camera in enumerate(cameras):
        if not camera.clip.is_file():
            raise InputError(path, f"cameras[{index}].clip", f"{camera.clip}: no such file")
    return rig.model_copy(update={"cameras": cameras})


def check_sees_mouth(rig: Rig, index: int, pinhole: PinholeCamera, path: str | Path) -> None:
    """InputError naming the camera when the goal mouth's corners are not all in its picture."""
    half, height = rig.goal.width_m / 2, rig.goal.height_m
    corners = np.array([(-half, 0.0, 0.0), (half, 0.0, 0.0), (-half, 0.0, height), (half, 0.0, height)])
    depth = (pinhole.R @ corners.T).T[:, 2] + pinhole.t[2]
    inside = False
    if (depth > 0).all():
        pixels = pinhole.project(corners)
        inside = bool(((pixels >= 0) & (pixels <= (pinhole.width_px - 1, pinhole.height_px - 1))).all())
    if not inside:
        raise InputError(path, f"cameras[{index}]", "the camera cannot see the whole goal mouth (posts' feet and "
                                                    "crossbar ends) in its clip's frame: wrong R, t or K?")


def rig_document(cameras: list[tuple[str, str, PinholeCamera, float, float | None]], goal: RigGoal,
                 cuts_s: list[float]) -> dict:
    """A rig file's content: cameras as (id, clip file name, model, fps, exposure_s)."""
    return {
        "goal": goal.model_dump(),
        "cameras": [{"id": camera_id, "clip": clip, "K": np.round(p.K, 6).tolist(), "R": np.round(p.R, 9).tolist(),
                     "t": np.round(np.asarray(p.t, float), 6).tolist(), "distortion": list(p.distortion),
                     "fps": fps, "start_s": 0.0, **({"exposure_s": exposure} if exposure is not None else {})}
                    for camera_id, clip, p, fps, exposure in cameras],
        "cuts_s": cuts_s,
    }
