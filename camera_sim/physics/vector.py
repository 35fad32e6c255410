"""A small immutable 3-vector for the physics loop (plain floats beat numpy at size 3).

>>> Vec.of([1, 2, 3]) + Vec.of([1, 0, 0])
Vec(x=2.0, y=2.0, z=3.0)
>>> Vec(0, 3, 4).norm()
5.0
>>> Vec(1.0, 0.0, 0.0).cross(Vec(0.0, 1.0, 0.0))
Vec(x=0.0, y=0.0, z=1.0)
>>> Vec(1.0, 2.0, 2.0).dot(Vec(2.0, 0.0, 1.0))
4.0
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Vec(NamedTuple):
    x: float
    y: float
    z: float

    @classmethod
    def of(cls, values) -> "Vec":
        x, y, z = values
        return cls(float(x), float(y), float(z))

    def __add__(self, other: "Vec") -> "Vec":  # type: ignore[override]
        return Vec(self.x + other.x, self.y + other.y, self.z + other.z)

    def __sub__(self, other: "Vec") -> "Vec":
        return Vec(self.x - other.x, self.y - other.y, self.z - other.z)

    def __mul__(self, k: float) -> "Vec":  # type: ignore[override]
        return Vec(self.x * k, self.y * k, self.z * k)

    __rmul__ = __mul__

    def dot(self, other: "Vec") -> float:
        return self.x * other.x + self.y * other.y + self.z * other.z

    def cross(self, other: "Vec") -> "Vec":
        return Vec(
            self.y * other.z - self.z * other.y,
            self.z * other.x - self.x * other.z,
            self.x * other.y - self.y * other.x,
        )

    def norm(self) -> float:
        return math.sqrt(self.dot(self))

    def unit(self) -> "Vec":
        length = self.norm()
        return self * (1.0 / length) if length > 0 else Vec(0.0, 0.0, 0.0)


ZERO = Vec(0.0, 0.0, 0.0)
