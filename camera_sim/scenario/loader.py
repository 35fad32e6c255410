"""Reading a scenario file: YAML (safe loader) checked against the schema."""

from __future__ import annotations

from pathlib import Path

from camera_sim.scenario.schema import Scenario
from camera_sim.validation import load_model


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; raises InputError (one line) on any fault."""
    return load_model(path, Scenario, "a scenario with match, cameras and timeline")
