"""Turning a YAML file into a checked model, or into one line that names the fault."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from camera_sim.errors import InputError

Model = TypeVar("Model", bound=BaseModel)
_UNION_TAGS = {"shot", "path"}
MAX_NESTING = 64
"""Deepest nesting of lists and mappings a file may use (a scenario needs 6): deeper is refused with
its line before the recursive composer meets Python's recursion limit."""


class _SafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader (plain data only, never Python objects) that turns two more faults into YAML
    errors with their line: nesting deeper than MAX_NESTING, and a value PyYAML's safe constructors
    fail on with a plain Python error (a 30 February, `!!bool maybe`, an integer too long to convert)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self._depth >= MAX_NESTING:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_NESTING} levels",
                                              self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        """A key given twice is refused with its line: the second would silently win (a typo'd
        copy of a block quietly replacing the first), which no scenario means."""
        first_line: dict = {}
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():  # else PyYAML refuses it
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *anchor' merges are allowed
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                line = first_line.setdefault(key, key_node.start_mark.line)
            except TypeError:  # an unhashable key: PyYAML itself refuses it below
                continue
            if line != key_node.start_mark.line:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {escape_key(key)} (first on line "
                                                        f"{line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as error:  # ValueError, KeyError, AttributeError, ... from a constructor
            kind = node.tag.rsplit(":", 1)[-1]  # tag:yaml.org,2002:timestamp -> timestamp
            detail = str(error).split(";")[0]  # what follows ';' is Python's advice to programmers
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value as {kind} ({detail})",
                                                    node.start_mark) from None


def escape_key(key: object) -> str:
    """A key fit for a one-line message."""
    return repr(key)[:60]


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
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow: a position, not a mark
        line = text.count("\n", 0, error.position) + 1
        raise InputError(path, f"line {line}", f"invalid YAML: {error.reason} (#x{error.character:04x})") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else ""
        raise InputError(path, where, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise InputError(path, "", f"invalid YAML: {error}") from None


def field_path(loc: tuple) -> str:
    """('timeline', 3, 'shot', 'speed_mps') -> 'timeline[3].speed_mps'; a key that would not show
    (empty, or with spaces at an end) in quotes: ('match', '') -> "match.''"."""
    text = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _UNION_TAGS and index > 0 and isinstance(loc[index - 1], int):
            continue  # the union member's name, not a field of the file
        else:
            name = str(part)
            text += ("." if text else "") + (name if name and name == name.strip() else repr(name))
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
