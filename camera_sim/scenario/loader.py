"""Reading a scenario file: YAML (safe loader) checked against the schema."""

from __future__ import annotations

from pathlib import Path

from camera_sim.errors import InputError
from camera_sim.scenario.schema import Scenario
from camera_sim.validation import load_model


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; raises InputError (one line) on any fault."""
    scenario = load_model(path, Scenario, "a scenario with match, cameras and timeline")
    for where, reason in scenario.problems():
        raise InputError(path, where, reason)
    return scenario
