"""The per-pixel median of a few frames, by a sorting network of element-wise min and max.

numpy's median partitions along the stacked axis, one short strided run per pixel: 0.46 s for
15 frames at 1280x720 on the project machine, a third of `video`'s start-up. A comparator
network does the same job as whole-array cv2.min / cv2.max calls, 5x faster (0.09 s), with
the same answer bit for bit (tested against numpy's).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

BAND_ROWS = 64
"""Rows sorted at a time: a network's working copies of a whole 1920x1080 frame stack would
add 100 MB to the peak; a band of 64 rows adds under 6 MB."""
PAD_LEVEL = 255
"""The network sorts a power of two of inputs; the frames are padded with white, which sorts
after every real value, so the k-th smallest of the real ones stays the k-th smallest."""


def pixel_median(frames: list[np.ndarray]) -> np.ndarray:
    """Per-pixel median of equally shaped uint8 frames ((H, W) or (H, W, C)), as numpy's
    `np.median(np.stack(frames), axis=0).astype(np.uint8)`: of an even count, the mean of the
    two middle values rounded down.

    >>> frames = [np.full((2, 2), level, np.uint8) for level in (9, 1, 5, 7)]
    >>> int(pixel_median(frames)[0, 0])  # (5 + 7) // 2
    6
    """
    count = len(frames)
    if count == 0 or frames[0].dtype != np.uint8:
        raise ValueError("pixel_median needs one or more uint8 frames (its padding is white, 255)")
    middle = sorted({(count - 1) // 2, count // 2})
    comparators = _median_network(count, tuple(middle))
    image = np.empty_like(frames[0])
    for top in range(0, image.shape[0], BAND_ROWS):
        band = [frame[top:top + BAND_ROWS].copy() for frame in frames]
        band += [np.full_like(band[0], PAD_LEVEL) for _ in range(_network_size(count) - count)]
        for low, high in comparators:
            band[low], band[high] = cv2.min(band[low], band[high]), cv2.max(band[low], band[high])
        if len(middle) == 1:
            image[top:top + BAND_ROWS] = band[middle[0]]
        else:
            image[top:top + BAND_ROWS] = (band[middle[0]].astype(np.uint16) + band[middle[1]]) >> 1
    return image


def level_median(levels: np.ndarray) -> float:
    """The median of uint8 values (any shape), as `float(np.median(levels))`, from their
    histogram: one counting pass (about 3 ms for 2.8 million values) where numpy partitions
    (about 40 ms).

    >>> level_median(np.array([9, 1, 5, 7], np.uint8))
    6.0
    """
    if levels.dtype != np.uint8 or levels.size == 0:
        raise ValueError("level_median needs one or more uint8 values")
    below = np.cumsum(np.bincount(levels.ravel(), minlength=256))
    count = int(below[-1])
    low = int(np.searchsorted(below, (count - 1) // 2, side="right"))  # the ((count-1)//2)-th smallest, from 0
    high = int(np.searchsorted(below, count // 2, side="right"))
    return (low + high) / 2


def _network_size(count: int) -> int:
    return 1 << max(0, (count - 1).bit_length())


@lru_cache(maxsize=8)
def _median_network(count: int, wanted: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Batcher's odd-even merge sort on the next power of two of `count` inputs, keeping only
    the comparators whose result can reach the `wanted` sorted positions."""
    size = _network_size(count)
    network = []
    block = 1
    while block < size:
        step = block
        while step >= 1:
            for start in range(step % block, size - step, 2 * step):
                for offset in range(min(step, size - start - step)):
                    low, high = start + offset, start + offset + step
                    if low // (2 * block) == high // (2 * block):
                        network.append((low, high))
            step //= 2
        block *= 2
    needed, kept = set(wanted), []
    for low, high in reversed(network):
        if low in needed or high in needed:
            kept.append((low, high))
            needed |= {low, high}
    return tuple(reversed(kept))
