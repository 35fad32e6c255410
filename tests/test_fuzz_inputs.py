"""Every input fuzzed with a property-based tester (hypothesis): scenario YAML, calibration YAML,
message bodies (issue 5 section 4).

Whatever the input, there are exactly two answers:

- a scenario or calibration either loads (it was valid) or is refused with InputError: `python -m
  camera_sim` exits 2 with one line on stderr that names the file (and, for a fault inside a document,
  the field or line) -- never a traceback, another exception, a hang;
- a message body either parses into a CloudEvent or is refused with InvalidEvent and a one-line
  reason (the consumer dead-letters it with that reason) -- and a valid event always parses.

The runs are derandomized: every run tries the same cases, so CI is reproducible. Cases tried per
test are the *_CASES constants below (hypothesis stops sooner only when it has tried every distinct
case a strategy can make): 8,100 in all, plus the example-based tests.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

import consumers.events
from broker.events import ID_PATTERN, cloud_event
from camera_sim.cli import main as camera_sim_main
from camera_sim.decision_events import decision_event
from camera_sim.errors import InputError
from camera_sim.goal_line import MIN_SEPARATION_PX
from camera_sim.pipeline import LineDecision
from camera_sim.scenario.loader import load_scenario
from camera_sim.sources.calibration import Calibration, load_calibration, write_calibration
from consumers.events import MAX_BODY_BYTES, CloudEvent, InvalidEvent, parse_event

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO_ROOT / "scenarios").glob("*.yaml"))
CLEAN_GOAL = REPO_ROOT / "scenarios" / "clean_goal.yaml"
BAD_INPUT = 2

settings.register_profile(
    "fuzz-inputs",
    deadline=None,  # a shared 2-core machine: a slow case is not a failure; hangs are bounded below
    derandomize=True,  # the same cases on every run, so a CI failure is reproducible
    database=None,  # no example database: derandomized runs replay themselves
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],  # big documents on purpose
)
FUZZ = settings.get_profile("fuzz-inputs")
"""Parent of every test's settings here (not loaded globally: other test files keep their own)."""

# Cases tried by each test. YAML cases cost a few ms (pure-Python parser, pydantic, the CLI on a
# refusal); message cases well under one ms: the numbers keep this file near 40 s on a shared machine.
SCENARIO_TEXT_CASES = 300
SCENARIO_BYTES_CASES = 300
SCENARIO_TYPO_CASES = 400
SCENARIO_MUTATION_CASES = 500
PYTHON_TAG_CASES = 100
ALIAS_BOMB_CASES = 100
CALIBRATION_DOCUMENT_CASES = 500
CALIBRATION_TEXT_CASES = 300
VALID_CALIBRATION_CASES = 300
MESSAGE_BYTES_CASES = 1000
MESSAGE_JSON_CASES = 1000
EVENT_MUTATION_CASES = 1500
VALID_EVENT_CASES = 1000
EXTENDED_EVENT_CASES = 500
DEEP_MESSAGE_CASES = 200
OVERSIZE_MESSAGE_CASES = 100

MAX_MUTATIONS = 3
"""Faults put into one document at once: more would mostly repeat what the first one found."""
MAX_NESTING_FUZZED = 3000
"""Deepest nesting tried in a scenario: past Python's recursion limit (1000) with a wide margin."""
INT_DIGIT_LIMIT = sys.get_int_max_str_digits()
"""Python refuses to turn longer digit strings into an int (4300 by default): a number in a file may be longer."""
MAX_MESSAGE_NESTING = MAX_BODY_BYTES // 2
"""The deepest nesting that fits in a body under the limit ('[' and ']' per level)."""
HUNDRED_THOUSAND_LEVELS = 100_000
"""The issue's example of nesting that overflows a recursive parser (as a message: 200 kB, over the limit)."""
ALIAS_BOMB_TIME_LIMIT_S = 5.0
"""An alias bomb must be answered within this (it takes milliseconds): an expansion would take hours."""
ALIAS_BOMB_MAX_LEVELS = 12
ALIAS_BOMB_MAX_WIDTH = 10
"""Up to 10**12 leaves if the aliases were expanded: far beyond memory, so only sharing survives."""
SHORT_TEXT = 12
"""Strings in generated documents: long enough for odd characters, short enough to keep cases fast."""
SMALL_COLLECTION = 4
MAX_LEAVES = 10
"""Lists and mappings put into documents: a few items, a few levels -- deep nesting has its own cases."""
MAX_YAML_TOKENS = 60
"""Length of generated YAML-syntax text: a few lines, enough for most of the grammar's states."""
MAX_TYPO_CHARS = 3
"""Characters inserted or removed at one place by a typo."""
DIGITS_AROUND_THE_LIMIT = (INT_DIGIT_LIMIT - 10, INT_DIGIT_LIMIT + 1000)
"""Integers of these many digits: just under Python's limit, and over it."""
CLI_TIMEOUT_S = 120


# --- strategies: values of every type -----------------------------------------------------------


HUGE_INTS = st.integers(min_value=2**63, max_value=10**400) | st.integers(min_value=-(10**400), max_value=-(2**63))
"""Past every 64-bit integer, still short enough for Python to print (see INT_DIGIT_LIMIT)."""
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTS,
    st.floats(),  # nan, inf, -0.0, subnormals
    st.text(max_size=SHORT_TEXT), st.just(""),
    st.dates(), st.datetimes(),
)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), HUGE_INTS, st.floats(), st.text(max_size=SHORT_TEXT))
KEYS = st.text(max_size=SHORT_TEXT) | st.sampled_from(["\n", "a\nb", "\t", "", " "])


def nested(scalars: st.SearchStrategy) -> st.SearchStrategy:
    """Scalars, lists and mappings of them, a few levels deep."""
    return st.recursive(scalars, lambda children: st.lists(children, max_size=SMALL_COLLECTION)
                        | st.dictionaries(KEYS, children, max_size=SMALL_COLLECTION), max_leaves=MAX_LEAVES)


YAML_VALUES = nested(SCALARS)
JSON_VALUES = nested(JSON_SCALARS)


@dataclass(frozen=True)
class Raw:
    """YAML text put into a document as written (what yaml.safe_dump cannot make: tags, anchors, ...)."""

    text: str


def deep_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_mappings(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


RAW_SNIPPETS = [
    "!!python/object/apply:os.getcwd []", "!!python/name:os.system", "!!python/module:os",
    "2026-13-45", "2026-02-30 10:00:00", "2001-01-01T00:00:00+99:00",  # timestamps no calendar has
    "!!int abc", "!!int 0x", "!!float abc", "!!bool maybe", "!!timestamp nope", "!!binary not-base64!",
    "!!set {a, b}", "!!omap [a]", "!!str [1]", "!!map [1]", "!!seq x", "!!merge x",
    "*nowhere", "&loop [*loop]", "{<<: 1}", ".nan", "-.inf", ".inf", "!!float 1e999999", "~", "''",
]
RAW_YAML = st.one_of(
    st.sampled_from(RAW_SNIPPETS),
    st.tuples(st.sampled_from([deep_lists, deep_mappings]), st.integers(1, MAX_NESTING_FUZZED))
    .map(lambda nesting: nesting[0](nesting[1])),  # one branch: each deep case costs ~40 ms in PyYAML's scanner
    st.tuples(st.sampled_from(["", "-", "!!int 1:"]), st.integers(*DIGITS_AROUND_THE_LIMIT))
    .map(lambda number: number[0] + "9" * number[1]),
).map(Raw)


# --- strategies: documents mutated -----------------------------------------------------------


def value_paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) to a value inside `node`, `node` itself excluded."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    paths = []
    for key, child in items:
        paths.append(prefix + (key,))
        paths.extend(value_paths(child, prefix + (key,)))
    return paths


def container_at(document: object, path: tuple) -> object:
    for key in path:
        document = document[key]
    return document


def known_keys(node: object) -> set:
    """Field names used anywhere in `node`: put where they do not belong, they are unknown fields."""
    if isinstance(node, dict):
        return set(node) | {key for child in node.values() for key in known_keys(child)}
    if isinstance(node, list):
        return {key for child in node for key in known_keys(child)}
    return set()


@st.composite
def mutated(draw, document: object, values: st.SearchStrategy) -> object:
    """`document` (a copy) with 1 to MAX_MUTATIONS faults: a value deleted, replaced or a key added."""
    document = copy.deepcopy(document)
    keys = KEYS | st.sampled_from(sorted(known_keys(document))) | st.integers() | st.none()
    for _ in range(draw(st.integers(1, MAX_MUTATIONS))):
        paths = value_paths(document)
        operation = draw(st.sampled_from(["delete", "replace", "add"]))
        if operation == "add" or not paths:
            mappings = [()] + [path for path in paths if isinstance(container_at(document, path), dict)]
            container_at(document, draw(st.sampled_from(mappings)))[draw(keys)] = draw(values)
            continue
        path = draw(st.sampled_from(paths))
        parent = container_at(document, path[:-1])
        if operation == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return document


def dumped_yaml(document: object) -> str:
    """YAML text of `document`, each Raw value written as it is."""
    raws: list[Raw] = []

    def marked(node: object) -> object:
        if isinstance(node, Raw):
            raws.append(node)
            return f"fuzz-raw-{len(raws) - 1}-end"
        if isinstance(node, dict):
            return {key: marked(value) for key, value in node.items()}
        if isinstance(node, list):
            return [marked(value) for value in node]
        return node

    text = yaml.safe_dump(marked(document), sort_keys=False, allow_unicode=True)
    for index, raw in enumerate(raws):
        text = text.replace(f"fuzz-raw-{index}-end", raw.text)
    return text


def read_scenario(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


SCENARIO_DOCUMENTS = [read_scenario(path) for path in SCENARIOS]
CLEAN_GOAL_DOCUMENT = read_scenario(CLEAN_GOAL)


# --- the property for YAML inputs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    """One folder for the whole module: each case overwrites its test's file (hypothesis runs many
    cases in one test call, so a function-scoped tmp_path would be shared by them anyway)."""
    return tmp_path_factory.mktemp("fuzz")


def cli(*args: str | Path) -> tuple[int, str]:
    """`python -m camera_sim ARGS` in-process: exit status and stderr (stdout discarded)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = camera_sim_main([str(arg) for arg in args])
    return status, stderr.getvalue()


def assert_one_line_naming(line: str, path: Path) -> None:
    assert line.startswith(f"{path}: "), line
    assert len(line.splitlines()) == 1, f"not one line: {line!r}"
    assert "Traceback" not in line, line


def note_outcome(outcome: str) -> None:
    """Count outcomes: their shares show with --hypothesis-show-statistics (a fuzzer that is refused
    every time tests little)."""
    if currently_in_test_context():  # the example-based tests below share the helpers
        event(outcome)


def loaded_or_refused(load, path: Path, command: tuple) -> object | InputError:
    """The property: `load(path)` returns the checked document, or raises InputError -- and then the
    CLI `command` exits 2 with that error as its only line on stderr. Returns the document or the
    error; any other exception escapes (and fails the test)."""
    try:
        loaded = load(path)
    except InputError as error:
        note_outcome("refused")
        line = error.one_line()
        assert_one_line_naming(line, path)
        status, stderr = cli(*command)
        assert (status, stderr) == (BAD_INPUT, line + "\n")
        return error
    note_outcome("loaded")
    return loaded


def scenario_loaded_or_refused(path: Path) -> object | InputError:
    return loaded_or_refused(load_scenario, path, ("run", path, "--no-publish"))


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    return path


# --- scenario YAML ---------------------------------------------------------------------------------


YAML_TOKENS = list(":-[]{}&*!|>'\"#%@`,?~ \n\t.0123456789abcxyz\x00\ufeff") + ["<<", "!!", "---", "...", ": ", "- "]
YAML_TEXT = st.lists(st.sampled_from(YAML_TOKENS), max_size=MAX_YAML_TOKENS).map("".join)
"""Text made of YAML's own syntax: reaches far more of the parser than arbitrary characters."""


@settings(FUZZ, max_examples=SCENARIO_TEXT_CASES)
@given(text=st.text() | YAML_TEXT)
def test_any_text_as_a_scenario_loads_or_is_refused_in_one_line(fuzz_dir, text):
    scenario_loaded_or_refused(write(fuzz_dir / "text.yaml", text))


@settings(FUZZ, max_examples=SCENARIO_BYTES_CASES)
@given(data=st.binary())
def test_any_bytes_as_a_scenario_are_loaded_or_refused_in_one_line(fuzz_dir, data):
    scenario_loaded_or_refused(write(fuzz_dir / "bytes.yaml", data))


@st.composite
def typo(draw, text: str) -> str:
    """`text` with a few characters inserted, deleted or replaced at random places."""
    for _ in range(draw(st.integers(1, MAX_MUTATIONS))):
        at = draw(st.integers(0, len(text)))
        inserted = draw(st.text(max_size=MAX_TYPO_CHARS) | st.sampled_from(YAML_TOKENS))
        text = text[:at] + inserted + text[at + draw(st.integers(0, MAX_TYPO_CHARS)):]
    return text


@settings(FUZZ, max_examples=SCENARIO_TYPO_CASES)
@given(text=st.sampled_from(SCENARIOS).flatmap(lambda path: typo(path.read_text(encoding="utf-8"))))
def test_a_real_scenario_with_typos_loads_or_is_refused_in_one_line(fuzz_dir, text):
    scenario_loaded_or_refused(write(fuzz_dir / "typo.yaml", text))


@settings(FUZZ, max_examples=SCENARIO_MUTATION_CASES)
@given(document=st.sampled_from(SCENARIO_DOCUMENTS).flatmap(lambda document: mutated(document, YAML_VALUES | RAW_YAML)))
def test_a_scenario_with_fields_deleted_replaced_or_added_loads_or_names_the_fault(fuzz_dir, document):
    outcome = scenario_loaded_or_refused(write(fuzz_dir / "mutated.yaml", dumped_yaml(document)))
    if isinstance(outcome, InputError):
        assert outcome.where, f"a fault inside a scenario must name its field or line: {outcome.one_line()!r}"


PYTHON_TAGS = [
    "!!python/object/apply:os.system [{command}]",
    "!!python/object/apply:subprocess.check_call [[sh, -c, {command}]]",
    "!!python/object/new:os.system [{command}]",
    "!!python/object/apply:builtins.exec [{python}]",
]
"""Ways to run code from YAML, each given a shell `command` or `python` that creates a marker file."""


def python_tag(tag: str, marker: Path) -> str:
    return tag.format(command=json.dumps(f"touch {marker}"), python=json.dumps(f"open({str(marker)!r}, 'w')"))


@settings(FUZZ, max_examples=PYTHON_TAG_CASES)
@given(tag=st.sampled_from(PYTHON_TAGS), path=st.sampled_from([()] + value_paths(CLEAN_GOAL_DOCUMENT)))
def test_python_tags_in_a_scenario_are_refused_never_run(fuzz_dir, tag, path):
    marker = fuzz_dir / "pwned"
    payload = python_tag(tag, marker)
    assert yaml.compose(payload).tag.startswith("tag:yaml.org,2002:python/")  # a live payload, not a typo
    document = copy.deepcopy(CLEAN_GOAL_DOCUMENT)
    if path:
        container_at(document, path[:-1])[path[-1]] = Raw(payload)
    scenario = write(fuzz_dir / "tagged.yaml", dumped_yaml(document) if path else payload)
    with pytest.raises(InputError, match="python/"):
        load_scenario(scenario)
    scenario_loaded_or_refused(scenario)
    assert not marker.exists(), "a YAML tag ran a command"


def test_a_python_tag_through_the_real_cli_exits_2_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    scenario = write(tmp_path / "evil.yaml", python_tag(PYTHON_TAGS[0], marker))
    result = subprocess.run([sys.executable, "-m", "camera_sim", "run", str(scenario), "--no-publish"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert result.returncode == BAD_INPUT and len(result.stderr.splitlines()) == 1, result.stderr
    assert_one_line_naming(result.stderr.strip(), scenario)
    assert not marker.exists()


def alias_bomb(levels: int, width: int) -> str:
    """'Billion laughs': level n is `width` aliases of level n-1, so the last one stands for
    width**levels leaves -- if anything expanded it."""
    rows = ["&l0 [" + ", ".join(["lol"] * width) + "]"]
    rows += [f"&l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]" for n in range(1, levels + 1)]
    return "[" + ", ".join(rows) + "]"


@settings(FUZZ, max_examples=ALIAS_BOMB_CASES)
@given(levels=st.integers(1, ALIAS_BOMB_MAX_LEVELS), width=st.integers(2, ALIAS_BOMB_MAX_WIDTH),
       path=st.sampled_from([()] + value_paths(CLEAN_GOAL_DOCUMENT)))
def test_an_alias_bomb_in_a_scenario_is_answered_at_once(fuzz_dir, levels, width, path):
    document = copy.deepcopy(CLEAN_GOAL_DOCUMENT)
    if path:
        container_at(document, path[:-1])[path[-1]] = Raw(alias_bomb(levels, width))
    scenario = write(fuzz_dir / "bomb.yaml", dumped_yaml(document) if path else alias_bomb(levels, width))
    started = time.monotonic()
    scenario_loaded_or_refused(scenario)
    assert time.monotonic() - started < ALIAS_BOMB_TIME_LIMIT_S


VALID_SCENARIO_TEXT = CLEAN_GOAL.read_text(encoding="utf-8")


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty file"),
    pytest.param(b"\n\n# only a comment\n", id="only a comment"),
    pytest.param(VALID_SCENARIO_TEXT.replace("  - id: north-gl", "\t- id: north-gl").encode(), id="tab indent"),
    pytest.param(VALID_SCENARIO_TEXT.replace("Curler", "Curl\xe9r").encode("latin-1"), id="latin-1 not utf-8"),
    pytest.param(VALID_SCENARIO_TEXT.encode("utf-16"), id="utf-16"),
    pytest.param(b"\xff\xfe\x00\x00garbage", id="invalid utf-8"),
    pytest.param(VALID_SCENARIO_TEXT.replace("Curler", "Curl\x00er").encode(), id="NUL in a string"),
    pytest.param(VALID_SCENARIO_TEXT.replace("Curler", "Curl\x1ber").encode(), id="escape character"),
    pytest.param((VALID_SCENARIO_TEXT + "seed: 2\n").encode(), id="duplicate key"),
    pytest.param(VALID_SCENARIO_TEXT.replace("kind: shot", "kind: |\n      shot\n      path").encode(), id="kind over two lines"),
    pytest.param(VALID_SCENARIO_TEXT.replace("  id: clean-goal", '  id: clean-goal\n  "two\\nlines": 1').encode(),
                 id="unknown key with a newline"),
    pytest.param(VALID_SCENARIO_TEXT.replace('"2026-08-15T15:00:00Z"', "2026-02-30T15:00:00Z").encode(), id="30 February"),
    pytest.param(b"match: " + deep_lists(HUNDRED_THOUSAND_LEVELS).encode(), id="deeply nested"),
])
def test_nasty_scenario_files_are_refused_or_loaded_never_a_traceback(tmp_path, content):
    scenario_loaded_or_refused(write(tmp_path / "nasty.yaml", content))


def test_a_directory_given_as_the_scenario_is_refused_in_one_line(tmp_path):
    assert isinstance(scenario_loaded_or_refused(tmp_path), InputError)


# --- calibration YAML (CONTRACT section 2) -----------------------------------------------------


FRAME_PX = (1280, 720)
"""A frame size for generated valid calibrations."""
PIXEL_VALUES = st.integers(-2, 2) | st.floats(-2 * FRAME_PX[0], 2 * FRAME_PX[0])
"""Numbers near a frame, some tiny: points close together or near the line, where the geometry checks bite."""
PIXEL_POINTS = st.tuples(PIXEL_VALUES, PIXEL_VALUES).map(list)
FAR_PX = 1e308
"""Near the largest float: a coordinate it can hold, a difference of two it cannot."""
TINIEST_FLOAT = 5e-324
ODD_COORDINATES = st.one_of(st.floats(), st.integers(), HUGE_INTS, st.sampled_from([FAR_PX, -FAR_PX, TINIEST_FLOAT]),
                            st.text(max_size=SHORT_TEXT), st.none(), st.booleans())
"""NaN, infinities, numbers too large to compute with, and values of other types."""
MAX_COORDINATES = 3
"""Points of 0 to 3 coordinates: too few and too many as well as two."""
ODD_POINTS = st.lists(ODD_COORDINATES | PIXEL_VALUES, max_size=MAX_COORDINATES) | YAML_VALUES
FPS = st.floats(1.0, 10_000.0)
BALL_DIAMETERS_M = st.floats(0.06, 0.5)
"""Within what Calibration accepts: a calibration of numbers alone is valid unless its geometry is not."""
BEYOND_THE_POINTS = st.floats(-2.0, 2.0)
"""Where a point on the line lies, as a share of the way from the first point to the second."""
VALID_CALIBRATION_DOCUMENT = {"goal_line": [[640, 0], [640, 720]], "goal_side": [900, 360], "fps": 250}


@st.composite
def calibration_documents(draw) -> dict:
    """CONTRACT section 2 documents of numbers -- the points sometimes identical or too far apart
    to compute with, the goal side sometimes on the line -- half of them then mutated: a coordinate,
    a point or a key replaced by an odd value (wrong type, NaN, infinity, huge number), deleted, or
    an unknown key added."""
    first, second, side = draw(PIXEL_POINTS), draw(PIXEL_POINTS), draw(PIXEL_POINTS)
    shape = draw(st.sampled_from(["as drawn", "as drawn", "identical points", "side on the line", "too far apart"]))
    if shape == "identical points":
        second = list(first)
    elif shape == "too far apart":  # each point is a float, their distance is not (it overflows)
        first[0], second[0] = -FAR_PX, FAR_PX
    elif shape == "side on the line":
        along = draw(BEYOND_THE_POINTS)
        side = [first[0] + along * (second[0] - first[0]), first[1] + along * (second[1] - first[1])]
    document = {"goal_line": [first, second], "goal_side": side}
    if draw(st.booleans()):
        document["fps"] = draw(FPS)
    if draw(st.booleans()):
        document["ball_diameter_m"] = draw(BALL_DIAMETERS_M)
    return draw(st.just(document) | mutated(document, ODD_COORDINATES | ODD_POINTS | RAW_YAML))


def calibration_loaded_or_refused(path: Path, clip: Path) -> Calibration | InputError:
    """The YAML property for a calibration; one that loads must also give a usable line."""
    calibration = loaded_or_refused(load_calibration, path, ("video", clip, "--calib", path, "--no-publish"))
    if isinstance(calibration, Calibration):
        line = calibration.line()
        assert all(math.isfinite(value) for value in (*line.normal, line.offset)), calibration
        assert line.signed_distance_px(calibration.goal_side) >= MIN_SEPARATION_PX, calibration
    return calibration


@pytest.fixture(scope="module")
def clip(fuzz_dir) -> Path:
    """A file for `video` to be given: a calibration is checked before the clip is opened."""
    return write(fuzz_dir / "clip.mp4", b"not opened: the calibration is refused first")


@settings(FUZZ, max_examples=CALIBRATION_DOCUMENT_CASES)
@given(document=calibration_documents())
def test_any_calibration_document_loads_with_a_usable_line_or_is_refused_in_one_line(fuzz_dir, clip, document):
    calibration_loaded_or_refused(write(fuzz_dir / "fuzz.calib.yaml", dumped_yaml(document)), clip)


@settings(FUZZ, max_examples=CALIBRATION_TEXT_CASES)
@given(content=st.text() | YAML_TEXT | st.binary()
       | typo(yaml.safe_dump(VALID_CALIBRATION_DOCUMENT, default_flow_style=True)))
def test_any_text_as_a_calibration_loads_or_is_refused_in_one_line(fuzz_dir, clip, content):
    calibration_loaded_or_refused(write(fuzz_dir / "text.calib.yaml", content), clip)


PIXELS = st.tuples(st.floats(-FRAME_PX[0], 2 * FRAME_PX[0]), st.floats(-FRAME_PX[1], 2 * FRAME_PX[1]))
SPAN_PX = st.floats(2 * MIN_SEPARATION_PX, 2 * FRAME_PX[0])
"""Distances between the points and of goal_side from the line: twice the minimum, so that float
rounding never brings a valid case to the limit."""


@st.composite
def valid_calibrations(draw) -> Calibration:
    """A goal line through a point at any angle, a goal side on either side of it, fps or not."""
    first, angle = draw(PIXELS), draw(st.floats(0.0, 2 * math.pi))
    direction = (math.cos(angle), math.sin(angle))
    length = draw(SPAN_PX)
    second = (first[0] + length * direction[0], first[1] + length * direction[1])
    along, off = draw(BEYOND_THE_POINTS), draw(SPAN_PX) * draw(st.sampled_from([-1, 1]))
    side = (first[0] + along * (second[0] - first[0]) - off * direction[1],
            first[1] + along * (second[1] - first[1]) + off * direction[0])
    return Calibration(goal_line=(first, second), goal_side=side, fps=draw(st.none() | FPS))


@settings(FUZZ, max_examples=VALID_CALIBRATION_CASES)
@given(calibration=valid_calibrations())
def test_every_valid_calibration_written_by_the_project_loads_back_unchanged(fuzz_dir, calibration):
    path = fuzz_dir / "valid.calib.yaml"
    write_calibration(calibration, path, "fuzzed")
    assert load_calibration(path) == calibration


# --- message bodies (consumers.events.parse_event) -------------------------------------------------


def parsed_or_refused(body: bytes) -> CloudEvent | None:
    """The property for a message: a CloudEvent, or InvalidEvent with a one-line reason (what the
    consumer dead-letters it with). Any other exception escapes (and fails the test)."""
    try:
        parsed = parse_event(body)
    except InvalidEvent as error:
        note_outcome("refused")
        reason = str(error)
        assert reason.strip() and len(reason.splitlines()) == 1, f"reason must be one line: {reason!r}"
        return None
    note_outcome("parsed")
    return parsed


IDENTIFIERS = st.from_regex(ID_PATTERN, fullmatch=True)
MARGINS = st.floats(-1e9, 1e9)
"""Any finite margin, however absurd: the consumer must not judge it, only carry it."""
TIMES_S = st.floats(0.0, 1e7)
FRAMES = st.integers(0, 10**7)
"""Up to about 4 months of video at 1,000 frames/s, from a match clock to a long clip."""
GOALS = st.integers(0, 20)
PIXEL_RADII = st.floats(0.5, 500.0)
HIDDEN_FRAMES = st.integers(0, 10**4)
WHEN = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1),
                    timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-5, minutes=-30))]))


@st.composite
def valid_events(draw) -> dict:
    """An event as camera_sim makes it: goal / no_goal from a decision (decision_event, with the
    match context `run` adds), or match_started / match_ended (cloud_event)."""
    match_id = draw(IDENTIFIERS)
    kind = draw(st.sampled_from(["goal", "no_goal", "match_started", "match_ended"]))
    score = {"score": {"home": draw(GOALS), "away": draw(GOALS)}}
    if kind in ("match_started", "match_ended"):
        data = {"match_id": match_id, "kick_off": draw(WHEN).isoformat()} | score
        return cloud_event(kind, match_id, f"/goalline/matches/{match_id}", draw(WHEN), data, (match_id, kind))
    decision = LineDecision(
        kind=kind, camera_id=draw(IDENTIFIERS), frame_index=draw(FRAMES), video_time_s=draw(TIMES_S),
        margin_px=draw(MARGINS), margin_m=draw(MARGINS), crossing_time_s=draw(st.none() | TIMES_S),
        decided_frame=draw(FRAMES), radius_px=draw(PIXEL_RADII), confidence=draw(st.floats(0.0, 1.0)),
        evidence=draw(st.sampled_from(["seen", "interpolated", "extrapolated"])), hidden_frames=draw(HIDDEN_FRAMES))
    extra = draw(st.just({}) | st.fixed_dictionaries({
        "goal_end": st.sampled_from(["north", "south"]), "match_clock": st.just("23:41.5"),
        "match_time_s": TIMES_S, "scoring_team": st.text(max_size=SHORT_TEXT), "counted": st.booleans()}))
    return decision_event(decision, match_id, draw(WHEN), extra | score)


def body_of(document: object) -> bytes:
    return json.dumps(document).encode("utf-8")


@settings(FUZZ, max_examples=VALID_EVENT_CASES)
@given(event=valid_events())
def test_every_valid_event_parses_with_its_id_kind_and_data(event):
    parsed = parse_event(body_of(event))
    assert (parsed.id, parsed.kind, parsed.data) == (event["id"], event["type"].removeprefix("goalline."), event["data"])


CLOUDEVENT_ATTRIBUTES = {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"}
DECISION_FIELDS = {"match_id", "camera_id", "frame", "video_time_s", "margin_m", "margin_px"}


@settings(FUZZ, max_examples=EXTENDED_EVENT_CASES)
@given(event=valid_events(),
       extensions=st.dictionaries(st.text(max_size=SHORT_TEXT), JSON_VALUES, min_size=1, max_size=SMALL_COLLECTION),
       where=st.sampled_from(["envelope", "data"]))
def test_a_valid_event_with_extension_attributes_or_extra_data_still_parses(event, extensions, where):
    target = event if where == "envelope" else event["data"]
    for key, value in extensions.items():
        if key not in CLOUDEVENT_ATTRIBUTES | DECISION_FIELDS | set(target):
            target[key] = value
    assert parse_event(body_of(event)).id == event["id"]


@settings(FUZZ, max_examples=MESSAGE_BYTES_CASES)
@given(body=st.binary() | st.text().map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_any_bytes_as_a_message_are_parsed_or_refused_with_a_one_line_reason(body):
    parsed_or_refused(body)


@settings(FUZZ, max_examples=MESSAGE_JSON_CASES)
@given(document=JSON_VALUES, encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_any_json_as_a_message_parses_or_is_refused_with_a_one_line_reason(document, encoding):
    parsed_or_refused(json.dumps(document).encode(encoding, "surrogatepass"))


@settings(FUZZ, max_examples=EVENT_MUTATION_CASES)
@given(event=valid_events().flatmap(lambda event: mutated(event, JSON_VALUES)))
def test_a_valid_event_with_fields_deleted_replaced_or_added_parses_or_is_refused_with_a_reason(event):
    parsed_or_refused(body_of(event))


@settings(FUZZ, max_examples=DEEP_MESSAGE_CASES)
@given(depth=st.integers(1, MAX_MESSAGE_NESTING), opener=st.sampled_from(["[", '{"a":']),
       inside_data=st.booleans(), event=valid_events())
def test_deeply_nested_json_in_a_message_is_refused_or_parsed_never_a_recursion_error(depth, opener, inside_data, event):
    closer = "]" if opener == "[" else "}"
    nested_json = opener * depth + ("1" if opener != "[" else "") + closer * depth
    if inside_data:  # an extra field of a valid event's data: the event is valid if the parser copes
        event["data"]["deep"] = "NESTED-HERE"
        body = body_of(event).replace(b'"NESTED-HERE"', nested_json.encode())
    else:
        body = nested_json.encode()
    parsed_or_refused(body)


OVERSIZE_PADDING_MAX = 3 * MAX_BODY_BYTES
"""Bodies from one byte over the limit to four times it."""


class _NeverParse:
    """Stands for the json module where a body must be refused before anything parses it."""

    def loads(self, *args, **kwargs):
        raise AssertionError("a body over the size limit was parsed")


@settings(FUZZ, max_examples=OVERSIZE_MESSAGE_CASES)
@given(event=valid_events(), padding=st.integers(1, OVERSIZE_PADDING_MAX), filler=st.sampled_from([" ", "a", "[", "\x00"]))
def test_a_body_over_the_size_limit_is_refused_unparsed_whatever_it_holds(event, padding, filler):
    body = body_of(event)
    body += filler.encode() * (MAX_BODY_BYTES - len(body) + padding)
    with mock.patch.object(consumers.events, "json", _NeverParse()):
        with pytest.raises(InvalidEvent, match="limit"):
            parse_event(body)


def test_a_hundred_thousand_nested_lists_are_refused_unparsed():
    with mock.patch.object(consumers.events, "json", _NeverParse()):
        with pytest.raises(InvalidEvent, match=f"{MAX_BODY_BYTES} byte limit"):
            parse_event(deep_lists(HUNDRED_THOUSAND_LEVELS).encode())


def test_a_number_too_long_for_python_is_refused_with_a_reason():
    parsed_or_refused(b'{"frame": ' + b"9" * (INT_DIGIT_LIMIT + 1) + b"}")


# --- YAML is loaded safely everywhere -------------------------------------------------------------


UNSAFE_YAML = re.compile(r"\b(unsafe_load|full_load|load_all|FullLoader|UnsafeLoader|CLoader|CFullLoader|CUnsafeLoader)\b"
                         r"|yaml\.Loader\b|from yaml import .*\b(load|Loader)\b")
"""Calls and loaders that can build arbitrary Python objects (load_all: none is needed, so none is checked)."""
YAML_LOAD_CALL = re.compile(r"yaml\.load\((?P<arguments>.*)")
SAFE_LOADER_ARGUMENT = re.compile(r"\bLoader\s*=\s*(?P<loader>[\w.]+)")
YAML_LOADING_MODULE = REPO_ROOT / "camera_sim" / "validation.py"


def project_python_files() -> list[Path]:
    """Every .py file of the project but this one (which names the unsafe loaders to look for)."""
    skipped = {".venv", ".git", "__pycache__"}
    return [path for path in REPO_ROOT.rglob("*.py")
            if not skipped & set(path.relative_to(REPO_ROOT).parts) and path != Path(__file__).resolve()]


def safe_loader_classes(source: str) -> set[str]:
    """Names of the loader classes `source` defines on top of yaml.SafeLoader."""
    return {match.group(1) for match in re.finditer(r"class (\w+)\(yaml\.SafeLoader\)", source)}


def test_yaml_is_only_ever_loaded_with_the_safe_loader():
    files = project_python_files()
    assert YAML_LOADING_MODULE in files  # the scan sees the project, not an empty folder
    for path in files:
        source = path.read_text(encoding="utf-8")
        unsafe = UNSAFE_YAML.search(source)
        assert not unsafe, f"{path}: {unsafe.group(0)}"
        safe = {"yaml.SafeLoader", "yaml.CSafeLoader"} | safe_loader_classes(source)
        for call in YAML_LOAD_CALL.finditer(source):
            loader = SAFE_LOADER_ARGUMENT.search(call.group("arguments"))
            assert loader and loader.group("loader") in safe, f"{path}: {call.group(0)} without a safe loader"
