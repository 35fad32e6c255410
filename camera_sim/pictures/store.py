"""Decision pictures on disk: FOLDER/<match_id>/<event id>.png, referenced from the event.

Images never travel through the broker: the event's data carries the file's path and its URL
under the web view (`/pictures/<match_id>/<event id>.png`, relative to the web view's root).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from camera_sim.errors import InputError

PICTURES_FOLDER = "pictures"
"""The default folder's name inside the state folder."""
URL_PREFIX = "/pictures"
PNG_COMPRESSION = 6
"""zlib level 0-9: 6 writes a picture in a few milliseconds."""


def write_png(path: Path, image: np.ndarray) -> None:
    """Write the image as a PNG, whole or not at all (a reader never sees half a file); OSError
    if it cannot be written."""
    ok, encoded = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise OSError(f"cannot encode a {image.shape} picture as PNG")
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(encoded.tobytes())
    os.replace(partial, path)


class PictureStore:
    """Saves each decision's picture under its match and event id."""

    def __init__(self, folder: Path):
        self.folder = folder.expanduser().resolve()

    @classmethod
    def open(cls, folder: Path) -> PictureStore:
        """The store in `folder`, made if missing; InputError (exit 2) if it cannot be."""
        try:
            folder.expanduser().mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(folder, "", f"cannot keep pictures there ({error.strerror or error})") from None
        if not os.access(folder.expanduser(), os.W_OK | os.X_OK):
            raise InputError(folder, "", "cannot keep pictures there (not writable)")
        return cls(folder)

    def path_of(self, match_id: str, event_id: str) -> Path:
        return self.folder / match_id / f"{event_id}.png"

    def save(self, match_id: str, event_id: str, image: np.ndarray) -> dict:
        """Write the picture; the `picture` field of the event's data: {"path", "url"}."""
        path = self.path_of(match_id, event_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_png(path, image)
        return {"path": str(path), "url": f"{URL_PREFIX}/{match_id}/{event_id}.png"}
