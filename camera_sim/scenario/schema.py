"""What a scenario file may say, checked field by field (pydantic).

Coordinates of incidents and cameras are in the *goal frame* of the goal they
belong to, in metres: origin on the ground at the goal-side edge of the goal
line, midway between the posts; x along the line (positive to the right as seen
from the field looking at the goal); y across the line, positive into the goal;
z up. A ball is wholly over the line when its centre has y > ball radius.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from broker.events import ID_PATTERN
from camera_sim import laws

Vec3 = tuple[float, float, float]
GoalId = Literal["north", "south"]
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
"""Match and camera ids: they become routing-key words (broker.events.ID_PATTERN)."""

_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d(?:\.\d+)?)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _clock_to_s(value: object) -> object:
    """Accept a match clock as "mm:ss(.s)" or as seconds."""
    if isinstance(value, str):
        found = _CLOCK.match(value.strip())
        if not found:
            raise ValueError('must be a match clock "mm:ss" or a number of seconds')
        return int(found.group(1)) * 60 + float(found.group(2))
    return value


class Match(_Strict):
    id: Identifier
    """Match id: used in routing keys, so letters, digits, '-' and '_' only."""
    home: str = Field(min_length=1)
    away: str = Field(min_length=1)
    kick_off: datetime
    """Kick-off date and time (ISO 8601); event times are kick-off plus match clock."""
    home_defends_first_half: GoalId = "south"
    """Which goal the home team defends before half time (they swap at 45:00)."""


class Geometry(_Strict):
    goal_width_m: float = Field(laws.GOAL_WIDTH_M, gt=3.0, le=12.0)
    goal_height_m: float = Field(laws.GOAL_HEIGHT_M, gt=1.0, le=4.0)
    line_width_m: float = Field(laws.LINE_WIDTH_M, gt=0.0, le=0.2)
    ball_diameter_m: float = Field(laws.BALL_DIAMETER_M, gt=0.1, le=0.4)
    goal_depth_m: float = Field(laws.GOAL_DEPTH_M, gt=0.5, le=5.0)


MIN_HORIZONTAL_AIM_M = 0.01
"""The optical axis needs a horizontal direction to define the image's up (no camera looks straight down)."""


MAX_DISTORTION = 1.0
"""Bound on each of k1, k2, p1, p2: broadcast and machine-vision lenses stay well within it
(a strong wide-angle lens has k1 about -0.4); beyond, OpenCV's model folds over inside the image."""


class Camera(_Strict):
    """A camera at one goal: by default a goal-line camera, its centre in the vertical plane of
    the goal-side edge (side, distance_m, height_m); with position_m, anywhere in the stand."""

    id: Identifier
    goal: GoalId
    fps: float = Field(250.0, ge=10.0, le=2000.0)
    resolution_px: tuple[int, int] = (1280, 720)
    side: Literal["left", "right"] = "right"
    """Which side of the goal the camera's stand is on, seen from the field."""
    distance_m: float = Field(16.0, gt=4.5, le=80.0)
    """Distance along the goal line from the middle of the goal to the camera."""
    height_m: float = Field(9.0, gt=0.3, le=60.0)
    look_at_m: Vec3 = (0.0, 0.0, 1.0)
    """Point the optical axis passes through (goal frame); keep y at 0 to keep the line upright."""
    fov_deg: float = Field(24.0, gt=1.0, lt=120.0)
    """Vertical field of view."""
    focal_px: float | None = Field(None, gt=50.0, le=50000.0)
    """Focal length in pixels; when given, it sets the zoom instead of fov_deg."""
    roll_deg: float = Field(0.0, ge=-45.0, le=45.0)
    exposure_s: float = Field(0.0005, ge=0.0, le=0.04)
    """Shutter time; the ball is smeared over its path during it (motion blur)."""
    position_m: Vec3 | None = None
    """The camera's centre (goal frame, m) anywhere in the stand, instead of side, distance_m and
    height_m. Off the goal line's plane a camera cannot judge alone: its goal's cameras are then
    fused in 3D (at least two must see the ball)."""
    distortion: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """The lens's distortion (k1, k2, p1, p2), OpenCV's model; each within +-MAX_DISTORTION."""

    @property
    def in_line_plane(self) -> bool:
        """The camera's centre lies in the goal line's vertical plane (y = 0): it can judge alone."""
        return self.position_m is None or abs(self.position_m[1]) < MIN_HORIZONTAL_AIM_M

    @property
    def centre_m(self) -> Vec3:
        side = 1.0 if self.side == "right" else -1.0
        return self.position_m if self.position_m is not None else (side * self.distance_m, 0.0, self.height_m)

    @field_validator("distortion")
    @classmethod
    def _distortion_in_range(cls, value: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        if any(abs(k) > MAX_DISTORTION for k in value):
            raise ValueError(f"each of k1, k2, p1, p2 must lie within +-{MAX_DISTORTION:g}")
        return value

    @model_validator(mode="after")
    def _placed_one_way(self) -> "Camera":
        given = {"side", "distance_m", "height_m"} & self.model_fields_set
        if self.position_m is not None and given:
            raise ValueError(f"give either position_m or {', '.join(sorted(given))}, not both")
        if self.position_m is not None and self.position_m[2] <= 0:
            raise ValueError("position_m must be above the ground (z > 0)")
        return self

    @model_validator(mode="after")
    def _aims_away_from_itself(self) -> "Camera":
        centre = self.centre_m
        forward = (self.look_at_m[0] - centre[0], self.look_at_m[1] - centre[1], self.look_at_m[2] - centre[2])
        if abs(forward[0]) + abs(forward[1]) < MIN_HORIZONTAL_AIM_M:
            raise ValueError("look_at_m must lie away from the camera, not straight above or below it")
        return self

    @field_validator("resolution_px")
    @classmethod
    def _resolution_in_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        width, height = value
        if not (160 <= width <= 7680 and 120 <= height <= 4320):
            raise ValueError("must be [width, height] within 160x120 to 7680x4320")
        return value


class Flicker(_Strict):
    """Floodlights pulsing with the mains: the whole picture brightens and dims."""

    depth: float = Field(0.1, gt=0.0, le=0.5)
    """Peak brightness swing as a share of the mean (0.1 = +-10 %)."""
    frequency_hz: float = Field(100.0, gt=0.0, le=1000.0)
    """Pulses per second: twice the mains frequency (100 Hz on 50 Hz mains)."""


class ExposureStep(_Strict):
    """The camera's automatic exposure jumps at a moment of the match."""

    at_s: Annotated[float, Field(ge=0.0, le=130 * 60, alias="at")]
    """Match clock ("mm:ss" or seconds) from which the new exposure holds."""
    factor: float = Field(gt=0.2, le=3.0)
    """Brightness from then on, relative to before (steps multiply)."""

    _clock = field_validator("at_s", mode="before")(_clock_to_s)


class Shade(_Strict):
    """The stand's shadow: everything on one side of a line across the goal mouth lies in shade."""

    edge_x_m: float = Field(0.0, ge=-20.0, le=20.0)
    """Goal-frame x of the shadow's edge (0 = midway between the posts); shade where x < edge_x_m."""
    brightness: float = Field(0.55, ge=0.2, lt=1.0)
    """Light left in the shade, as a share of the sunlit brightness."""
    penumbra_m: float = Field(0.1, ge=0.0, le=2.0)
    """Width of the soft edge."""


class Conditions(_Strict):
    noise_sigma: float = Field(2.0, ge=0.0, le=40.0)
    """Sensor noise: standard deviation in grey levels (0-255)."""
    lighting: float = Field(1.0, ge=0.2, le=2.0)
    """Brightness factor of the whole scene (1 = daylight as designed)."""
    motion_blur: bool = True
    """Smear the ball over the camera's exposure time."""
    compression_quality: int | None = Field(None, ge=5, le=100)
    """When set, every frame goes through JPEG at this quality (block artefacts, ringing)."""
    flicker: Flicker | None = None
    exposure_steps: list[ExposureStep] = []
    shade: Shade | None = None
    shake_px: float = Field(0.0, ge=0.0, le=10.0)
    """Camera shake: each frame is shifted by up to this many pixels (a mast in the wind)."""
    ball_shadow: bool = False
    """The sun casts the ball's shadow on the ground (it lies on the field side of the ball)."""


class Touch(_Strict):
    """A player's touch during a shot: the ball leaves with a new velocity."""

    after_s: float = Field(gt=0.0)
    """Seconds after the shot was struck."""
    velocity_mps: Vec3
    spin_radps: Vec3 = (0.0, 0.0, 0.0)
    kind: Literal["touch", "deflection", "save", "clearance"] = "touch"


class Waypoint(_Strict):
    t_s: float = Field(ge=0.0)
    at_m: Vec3


def _times_increase(waypoints: list[Waypoint]) -> None:
    times = [w.t_s for w in waypoints]
    if any(b <= a for a, b in zip(times, times[1:])):
        raise ValueError("waypoints: t_s must increase")


Colour = tuple[Annotated[int, Field(ge=0, le=255)], Annotated[int, Field(ge=0, le=255)], Annotated[int, Field(ge=0, le=255)]]


class Player(_Strict):
    """A player in view during an incident, drawn as an upright cylinder: kit above, socks and boots below.

    The ball passes through players (a touch is a Touch of the shot); they matter to the cameras only.
    """

    role: str = "defender"
    kit_bgr: Colour = (40, 40, 190)
    socks_bgr: Colour = (245, 245, 245)
    """White socks and boots are the classic white distractor next to a white ball."""
    height_m: float = Field(1.85, ge=1.0, le=2.3)
    radius_m: float = Field(0.2, ge=0.08, le=0.6)
    socks_height_m: float = Field(0.5, ge=0.0, le=1.0)
    waypoints: list[Waypoint] = Field(min_length=1)
    """Where the player stands (goal frame; z = height of the feet), at times since the incident
    started; linear in between, held before the first and after the last."""

    @model_validator(mode="after")
    def _waypoints_in_order(self):
        _times_increase(self.waypoints)
        return self


class SpareBall(_Strict):
    """A second ball in view (beside the pitch, a ball boy's): looks like the match ball, never scores."""

    waypoints: list[Waypoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _waypoints_in_order(self):
        _times_increase(self.waypoints)
        return self


class _Incident(_Strict):
    at_s: Annotated[float, Field(ge=0.0, le=130 * 60, alias="at")]
    goal: GoalId
    label: str = ""
    expect: Literal["goal", "no_goal", "none"] | None = None
    """The call this incident should get (what the scenario's author means it to test): `run`
    names every incident whose calls differ and exits 1. None: nothing expected."""
    players: list[Player] = []
    spare_balls: list[SpareBall] = []

    _clock = field_validator("at_s", mode="before")(_clock_to_s)


class Shot(_Incident):
    """A ball struck from a point at a speed towards an aim point (gravity, drag and spin bend it)."""

    kind: Literal["shot"]
    from_m: Vec3
    speed_mps: float = Field(gt=0.0, le=60.0)
    aim_m: Vec3
    spin_radps: Vec3 = (0.0, 0.0, 0.0)
    touches: list[Touch] = []
    duration_s: float = Field(4.0, gt=0.0, le=60.0)

    @model_validator(mode="after")
    def _aim_differs_from_launch(self) -> "Shot":
        if self.aim_m == self.from_m:
            raise ValueError("aim_m must differ from from_m")
        if self.from_m[2] < 0:
            raise ValueError("from_m: height must be 0 or more")
        late = [n for n, touch in enumerate(self.touches) if touch.after_s >= self.duration_s]
        if late:
            raise ValueError(f"touches[{late[0]}].after_s must be less than duration_s ({self.duration_s} s)")
        return self


class Path(_Incident):
    """A ball moved along timed waypoints (e.g. rolled along the line, pushed on a sled)."""

    kind: Literal["path"]
    waypoints: list[Waypoint] = Field(min_length=2)
    duration_s: float | None = Field(None, gt=0.0, le=600.0)

    @model_validator(mode="after")
    def _times_increase(self) -> "Path":
        _times_increase(self.waypoints)
        times = [w.t_s for w in self.waypoints]
        if self.duration_s is not None and self.duration_s < times[-1]:
            raise ValueError(f"duration_s must cover the last waypoint ({times[-1]} s)")
        return self

    @property
    def length_s(self) -> float:
        return self.duration_s or self.waypoints[-1].t_s


def _incident_kind(incident: object) -> str | None:
    """The kind that picks an incident's schema, None when it is not one: pydantic would quote any
    other value in its error, and a value built from YAML aliases can expand to billions of items."""
    kind = incident.get("kind") if isinstance(incident, dict) else getattr(incident, "kind", None)
    return kind if kind in ("shot", "path") else None


Incident = Annotated[Union[Annotated[Shot, Tag("shot")], Annotated[Path, Tag("path")]],
                     Discriminator(_incident_kind, custom_error_type="incident_kind",
                                   custom_error_message="kind must be 'shot' or 'path'")]


BallDesign = Literal["plain_white", "classic_32", "modern_multicolour", "orange_winter", "yellow"]


class BallLook(_Strict):
    """How the match ball (and every spare ball) looks; its design turns with the ball's spin."""

    design: BallDesign = "plain_white"
    """plain_white: no marks (the original look); classic_32: white with 12 black pentagons
    (truncated icosahedron); modern_multicolour: white with red, blue and gold curved bands;
    orange_winter: orange with dark curved bands; yellow: yellow with dark blue curved bands."""


class Pitch(_Strict):
    """How the grass and the painted lines look (the defaults are the original look)."""

    grass_bgr: Colour = (48, 128, 58)
    """Mean colour of the grass (B, G, R; 0-255)."""
    stripes: bool = True
    """Mowing stripes parallel to the goal line, alternately lighter and darker."""
    stripe_width_m: float = Field(5.5, ge=0.5, le=20.0)
    """Width of one stripe (5.5 m: one goal-area depth)."""
    stripe_contrast: float = Field(0.10, ge=0.0, le=0.5)
    """Brightness of a stripe relative to the mean: 1 + contrast, then 1 - contrast."""
    paint_bgr: Colour = (232, 236, 236)
    """Colour of the painted lines (B, G, R; 0-255); their width is geometry.line_width_m."""


class Scenario(_Strict):
    name: str = ""
    description: str = ""
    seed: int = Field(0, ge=0, lt=2**31)
    match: Match
    geometry: Geometry = Geometry()
    cameras: list[Camera] = Field(min_length=1)
    conditions: Conditions = Conditions()
    ball: BallLook = BallLook()
    pitch: Pitch = Pitch()
    timeline: list[Incident] = Field(min_length=1)

    def problems(self) -> list[tuple[str, str]]:
        """Faults that involve several fields, as (field path, reason); empty when consistent."""
        found = []
        seen: dict[str, int] = {}
        for index, camera in enumerate(self.cameras):
            if camera.id in seen:
                found.append((f"cameras[{index}].id", f"'{camera.id}' is already the id of cameras[{seen[camera.id]}]"))
            seen.setdefault(camera.id, index)
            if not camera.in_line_plane and not self._sees_the_mouth(camera):
                found.append((f"cameras[{index}].position_m", "the camera cannot see the whole goal mouth "
                              "(posts' feet and crossbar ends) from there with that look_at_m and field of view"))
        for goal in ("north", "south"):
            windows = sorted((i.at_s, i.at_s + duration_of(i), n) for n, i in enumerate(self.timeline) if i.goal == goal)
            for (_, end_a, first), (start_b, _, second) in zip(windows, windows[1:]):
                if start_b < end_a:
                    found.append((f"timeline[{second}].at", f"starts before timeline[{first}] at the same goal has ended"))
        return found


    def _sees_the_mouth(self, camera: Camera) -> bool:
        """The goal mouth's four corners lie in front of the camera and inside its picture."""
        from camera_sim.camera.pinhole import goal_line_camera  # the camera model needs this schema

        pinhole = goal_line_camera(camera)
        half, height = self.geometry.goal_width_m / 2, self.geometry.goal_height_m
        corners = [(-half, 0.0, 0.0), (half, 0.0, 0.0), (-half, 0.0, height), (half, 0.0, height)]
        depth = [(pinhole.R @ corner + pinhole.t)[2] for corner in corners]
        if min(depth) <= 0:
            return False
        pixels = pinhole.project(corners)
        width, tall = camera.resolution_px
        return bool(((pixels >= 0) & (pixels <= (width - 1, tall - 1))).all())


def duration_of(incident: Shot | Path) -> float:
    """How long an incident lasts, in seconds from its start."""
    return incident.duration_s if isinstance(incident, Shot) else incident.length_s
