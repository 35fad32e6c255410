"""Turning a YAML file into a checked model, or into one line that names the fault."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from camera_sim.errors import InputError

Model = TypeVar("Model", bound=BaseModel)
_UNION_TAGS = {"shot", "path"}


def read_yaml(path: Path) -> object:
    """Parse a YAML file with the safe loader; any failure is an InputError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "", "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "", "is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, "", f"cannot read ({error.__class__.__name__})") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else ""
        raise InputError(path, where, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise InputError(path, "", f"invalid YAML: {error}") from None


def field_path(loc: tuple) -> str:
    """('timeline', 3, 'shot', 'speed_mps') -> 'timeline[3].speed_mps'."""
    text = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _UNION_TAGS and index > 0 and isinstance(loc[index - 1], int):
            continue  # the union member's name, not a field of the file
        else:
            text += ("." if text else "") + str(part)
    return text


def reason_of(error: dict) -> str:
    """pydantic's message in the project's words ("must be greater than 0", "unknown field")."""
    message = error["msg"].removeprefix("Value error, ")
    message = message.replace("Input should be", "must be").replace("Field required", "required")
    return message.replace("Extra inputs are not permitted", "unknown field")


def load_model(path: str | Path, model: type[Model], what: str) -> Model:
    """Read `path` as YAML and check it against `model`; InputError (one line) on any fault.

    what: how to describe the expected document when it is not a mapping.
    """
    path = Path(path)
    document = read_yaml(path)
    if not isinstance(document, dict):
        raise InputError(path, "", f"must be a YAML mapping ({what})")
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(path, field_path(first["loc"]), reason_of(first)) from None
