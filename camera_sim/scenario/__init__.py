"""Scenario files: a match, its cameras and a timeline of incidents."""

from camera_sim.scenario.loader import load_scenario
from camera_sim.scenario.schema import Camera, Path, Scenario, Shot

__all__ = ["Camera", "Path", "Scenario", "Shot", "load_scenario"]
