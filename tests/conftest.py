"""Shared by every test: each test keeps its outbox and its consumers' records in a folder of its
own, so what one test leaves behind (an event waiting for a broker) never reaches another."""

from __future__ import annotations

import pytest

from broker.state import STATE_DIR_VARIABLE


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path, monkeypatch):
    """$GOALLINE_STATE_DIR for this test and the commands it starts."""
    folder = tmp_path / "goalline-state"
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(folder))
    return folder
