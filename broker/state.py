"""Where the event side keeps what must outlive a process: the camera's outbox, the consumers'
record of events already handled."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_VARIABLE = "GOALLINE_STATE_DIR"
"""Environment variable naming the state folder (the `--state-dir` option wins over it)."""
APP_FOLDER = "goalline"


def state_dir_path(given: Path | None = None) -> Path:
    """--state-dir, else $GOALLINE_STATE_DIR, else $XDG_STATE_HOME/goalline, else ~/.local/state/goalline.

    XDG's state folder is the one meant for data that should survive a restart but is not worth
    a backup (freedesktop.org base directory specification).
    """
    if given is None and os.environ.get(STATE_DIR_VARIABLE):
        given = Path(os.environ[STATE_DIR_VARIABLE])
    if given is None:
        xdg = os.environ.get("XDG_STATE_HOME")
        given = (Path(xdg) if xdg else Path.home() / ".local" / "state") / APP_FOLDER
    return given


def state_dir(given: Path | None = None) -> Path:
    """The state folder (see state_dir_path), made if missing."""
    folder = state_dir_path(given)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
