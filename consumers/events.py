"""Reading an event off the wire: the CloudEvents envelope and the data a notification needs."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_BODY_BYTES = 64 * 1024
"""An event is a few hundred bytes; anything this large is refused unparsed."""


MAX_ID_CHARS = 256
"""Event ids are recorded one a line by consumers: no control characters, and a sane length."""


class InvalidEvent(ValueError):
    """A message that is not an event this project understands; the text says why."""


class DecisionData(BaseModel):
    """`data` of goal / no_goal (CONTRACT section 3); extra project fields are kept."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=True)
    match_id: str
    camera_id: str
    frame: int = Field(ge=0)
    video_time_s: float = Field(ge=0)
    margin_m: float | None = None
    margin_px: float | None = None


class CloudEvent(BaseModel):
    """The CloudEvents 1.0 attributes CONTRACT section 3 requires (structured JSON mode)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=True)
    specversion: str = Field(pattern=r"^1\.0$")
    id: str = Field(min_length=1, max_length=MAX_ID_CHARS, pattern=r"^[^\x00-\x1f\x7f]+$")
    source: str = Field(min_length=1)
    type: str = Field(pattern=r"^goalline\.[a-z_]+$")
    subject: str = Field(min_length=1)
    time: str
    data: dict

    @property
    def kind(self) -> str:
        """goal, no_goal, match_started, match_ended, ... (the type without its prefix)."""
        return self.type.removeprefix("goalline.")


def parse_event(body: bytes) -> CloudEvent:
    """The event in a message body; InvalidEvent with a one-line reason otherwise."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent(f"body of {len(body)} bytes is over the {MAX_BODY_BYTES} byte limit")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        raise InvalidEvent(f"not JSON ({error.__class__.__name__})") from None
    if not isinstance(document, dict):
        raise InvalidEvent("not a JSON object")
    try:
        event = CloudEvent.model_validate(document)
        if event.kind in ("goal", "no_goal"):
            DecisionData.model_validate(event.data)
            if event.data.get("margin_m") is None and event.data.get("margin_px") is None:
                raise InvalidEvent("data: margin_m or margin_px required")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidEvent(f"{where}: {first['msg']}") from None
    return event
