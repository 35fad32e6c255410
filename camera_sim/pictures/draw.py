"""A decision picture as a numpy array: a pure function of the frame and the scene.

    +----------------------------------+------------+
    | the frame round the ball and the | top-down   |
    | line, enlarged; the calibration's| sketch: the|
    | line and the detection's circle  | line band, |
    | drawn on it                      | the ball   |
    +----------------------------------+------------+
    | GOAL — 6 cm over                               |
    | camera north-gl   frame 179   99.99% sure      |
    +------------------------------------------------+

The crop is enlarged first and the line and circle drawn after, in the enlarged picture's
coordinates (to 1/16 px), so they stay crisp. Text: OpenCV 5's putText (the pinned version)
draws UTF-8 with its built-in font, so the headline's em dash is drawn as such ("GOAL — 6 cm
over"); OpenCV 4's Hershey fonts would draw it as "?".

Drawing only; nothing here decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from camera_sim.goal_line import GoalLine, Point
from camera_sim.pictures.scene import PictureScene, distance_text, headline

CROP_SIZE_PX = (640, 480)
"""(width, height) of the enlarged crop: broadcast-friendly 4:3."""
SKETCH_SIZE_PX = (240, 480)
"""(width, height) of the top-down sketch beside the crop."""
CAPTION_HEIGHT_PX = 96
"""The band under both panels holding the headline, the details and a note."""
PICTURE_SIZE_PX = (CROP_SIZE_PX[0] + SKETCH_SIZE_PX[0], CROP_SIZE_PX[1] + CAPTION_HEIGHT_PX)
CROP_MARGIN_RADII = 3.0
"""The crop reaches this many ball radii beyond the ball and the nearest point of the line."""
CROP_INTERPOLATION = cv2.INTER_NEAREST
"""Each camera pixel a sharp block: the evidence is the pixels the detection saw, unsmoothed
(and the PNG a fifth of a smoothed one's size, ~60 KB)."""
SUBPIXEL_BITS = 4
"""Line and circle are drawn to 1/16 px (OpenCV's `shift`)."""

LINE_COLOUR_BGR = (0, 215, 255)
"""Amber: the goal-side edge of the goal line, from the calibration."""
LINE_THICKNESS_PX = 2
CIRCLE_COLOUR_BGR = (255, 0, 255)
"""Magenta: the ball's circle as the detection fitted it (no grass, kit or ball is this colour)."""
CIRCLE_THICKNESS_PX = 2
OUTSIDE_FRAME_BGR = (64, 64, 64)
"""Where the crop reaches past the frame's border."""

CAPTION_BGR = (24, 24, 24)
GOAL_TEXT_BGR = (90, 230, 90)
NO_GOAL_TEXT_BGR = (70, 70, 255)
DETAILS_TEXT_BGR = (225, 225, 225)
NOTE_TEXT_BGR = (0, 190, 255)
HEADLINE_FONT = cv2.FONT_HERSHEY_DUPLEX
HEADLINE_SCALE = 1.15
HEADLINE_THICKNESS = 2
SMALL_FONT = cv2.FONT_HERSHEY_SIMPLEX
SMALL_SCALE = 0.52
TEXT_LEFT_PX = 16
HEADLINE_BASELINE_PX = 40
DETAILS_BASELINE_PX = 66
NOTE_BASELINE_PX = 88

SKETCH_GRASS_BGR = (52, 112, 52)
SKETCH_GOAL_BGR = (44, 78, 44)
"""The goal side of the line, a shade darker."""
SKETCH_LINE_BGR = (245, 245, 245)
SKETCH_BALL_BGR = (225, 225, 225)
SKETCH_OUTLINE_BGR = (20, 20, 20)
SKETCH_TEXT_BGR = (235, 235, 235)
SKETCH_EDGE_BGR = (110, 110, 110)
"""The border between the two panels."""
SKETCH_MAX_PX_PER_M = 600.0
"""The sketch's largest scale (a ball 132 px across); smaller when the ball is far from the line."""
SKETCH_TOP_PX = 56
SKETCH_BOTTOM_PX = 36
"""Room kept above and below the drawing for the labels."""
SKETCH_PAD_RADII = 0.5
SKETCH_BALL_X_PX = 95
SKETCH_ARROW_X_PX = 188
SKETCH_LABEL_SCALE = 0.45


@dataclass(frozen=True)
class CropView:
    """Where the crop lies in the frame and how much it is enlarged.

    left, top: the frame coordinates of the crop's top-left corner (pixel edges: frame pixel i
    spans i - 0.5 to i + 0.5, OpenCV's centres at integers); scale: picture px per frame px.
    """

    left: float
    top: float
    scale: float

    def to_picture(self, point: Point) -> Point:
        """A frame position (px) in the crop's pixels."""
        return (self.scale * (point[0] - self.left) - 0.5, self.scale * (point[1] - self.top) - 0.5)

    def matrix(self) -> np.ndarray:
        """The frame -> crop affine map (2x3) that to_picture is."""
        s = self.scale
        return np.float64([[s, 0.0, -s * self.left - 0.5], [0.0, s, -s * self.top - 0.5]])

    def line_in_picture(self, line: GoalLine) -> GoalLine:
        """The same line in the crop's pixels (same normal)."""
        n, s = line.normal, self.scale
        return GoalLine(n, n[0] * (0.5 + s * self.left) + n[1] * (0.5 + s * self.top) + s * line.offset)


@dataclass(frozen=True)
class DecisionPicture:
    """The picture (H, W, 3) uint8 BGR, its headline ("GOAL — 6 cm over"), the text lines
    written on it, and where its crop lies in the frame."""

    image: np.ndarray
    headline: str
    text: tuple[str, ...]
    crop: CropView


def crop_view(scene: PictureScene, frame_size: tuple[int, int]) -> CropView:
    """The crop round the ball and the nearest point of the line (CROP_MARGIN_RADII beyond
    both), widened to CROP_SIZE_PX's shape and kept inside the frame where it fits."""
    r = scene.ball_radius_px
    cx, cy = scene.ball_centre_px
    distance = scene.line.signed_distance_px((cx, cy))
    foot = (cx - distance * scene.line.normal[0], cy - distance * scene.line.normal[1])
    margin = CROP_MARGIN_RADII * r
    x_low, x_high = min(cx - r, foot[0]) - margin, max(cx + r, foot[0]) + margin
    y_low, y_high = min(cy - r, foot[1]) - margin, max(cy + r, foot[1]) + margin
    width, height = x_high - x_low, y_high - y_low
    aspect = CROP_SIZE_PX[0] / CROP_SIZE_PX[1]
    width, height = max(width, height * aspect), max(height, width / aspect)
    frame_width, frame_height = frame_size
    left = _inside((x_low + x_high - width) / 2, width, frame_width)
    top = _inside((y_low + y_high - height) / 2, height, frame_height)
    return CropView(left, top, CROP_SIZE_PX[0] / width)


def _inside(start: float, size: float, frame_size: int) -> float:
    """Move a span of `size` starting at `start` inside [-0.5, frame_size - 0.5]; centred if larger."""
    low, high = -0.5, frame_size - 0.5
    if size >= high - low:
        return low - (size - (high - low)) / 2
    return min(max(start, low), high - size)


def draw_decision(frame: np.ndarray, scene: PictureScene) -> DecisionPicture:
    """The decision picture of `scene` made from `frame` (H, W, 3) uint8 BGR."""
    view = crop_view(scene, (frame.shape[1], frame.shape[0]))
    crop = cv2.warpAffine(frame, view.matrix(), CROP_SIZE_PX, flags=CROP_INTERPOLATION,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=OUTSIDE_FRAME_BGR)
    _draw_line(crop, view.line_in_picture(scene.line))
    centre = view.to_picture(scene.ball_centre_px)
    cv2.circle(crop, _fixed(centre), round(view.scale * scene.ball_radius_px * (1 << SUBPIXEL_BITS)),
               CIRCLE_COLOUR_BGR, CIRCLE_THICKNESS_PX, cv2.LINE_AA, SUBPIXEL_BITS)
    caption, text = _caption(scene, PICTURE_SIZE_PX[0])
    image = np.vstack([np.hstack([crop, draw_sketch(scene)]), caption])
    return DecisionPicture(image, text[0], text, view)


def _fixed(point: Point) -> tuple[int, int]:
    """A point in OpenCV's fixed-point drawing coordinates (SUBPIXEL_BITS fractional bits)."""
    return (round(point[0] * (1 << SUBPIXEL_BITS)), round(point[1] * (1 << SUBPIXEL_BITS)))


def _draw_line(image: np.ndarray, line: GoalLine) -> None:
    """The whole line across the image (OpenCV clips it to the image)."""
    height, width = image.shape[:2]
    middle = ((width - 1) / 2, (height - 1) / 2)
    distance = line.signed_distance_px(middle)
    foot = (middle[0] - distance * line.normal[0], middle[1] - distance * line.normal[1])
    along = (-line.normal[1], line.normal[0])
    reach = width + height
    ends = [(foot[0] + k * reach * along[0], foot[1] + k * reach * along[1]) for k in (-1, 1)]
    cv2.line(image, _fixed(ends[0]), _fixed(ends[1]), LINE_COLOUR_BGR, LINE_THICKNESS_PX, cv2.LINE_AA,
             SUBPIXEL_BITS)


def _caption(scene: PictureScene, width: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """The band with the headline, the details and the note; and those texts."""
    band = np.full((CAPTION_HEIGHT_PX, width, 3), CAPTION_BGR, np.uint8)
    text = [headline(scene.kind, scene.margin_m, scene.margin_px)]
    colour = GOAL_TEXT_BGR if scene.kind == "goal" else NO_GOAL_TEXT_BGR
    cv2.putText(band, text[0], (TEXT_LEFT_PX, HEADLINE_BASELINE_PX), HEADLINE_FONT, HEADLINE_SCALE, colour,
                HEADLINE_THICKNESS, cv2.LINE_AA)
    for words, baseline, colour in ((scene.details, DETAILS_BASELINE_PX, DETAILS_TEXT_BGR),
                                    (scene.note, NOTE_BASELINE_PX, NOTE_TEXT_BGR)):
        if words:
            cv2.putText(band, words, (TEXT_LEFT_PX, baseline), SMALL_FONT, SMALL_SCALE, colour, 1, cv2.LINE_AA)
            text.append(words)
    return band, tuple(text)


def draw_sketch(scene: PictureScene) -> np.ndarray:
    """The top-down sketch: the goal line as a band of its painted width (goal side up), the ball
    as a circle of its true radius at the decision's margin, the margin marked beside it."""
    width, height = SKETCH_SIZE_PX
    r = scene.ball_radius_m
    margin = scene.margin_m if scene.margin_m is not None else scene.margin_px * r / scene.ball_radius_px
    # Metres across the line, positive into the goal: 0 is the line's goal-side edge.
    upper, lower = max(margin + 2 * r, 0.0), min(margin, -scene.line_width_m)
    usable = height - SKETCH_TOP_PX - SKETCH_BOTTOM_PX
    per_m = min(SKETCH_MAX_PX_PER_M, usable / (upper - lower + 2 * SKETCH_PAD_RADII * r))
    middle_m, middle_px = (upper + lower) / 2, SKETCH_TOP_PX + usable / 2

    def row(metres: float) -> float:
        return middle_px - (metres - middle_m) * per_m

    sketch = np.full((height, width, 3), SKETCH_GRASS_BGR, np.uint8)
    edge = round(row(0.0))
    sketch[:max(edge, 0)] = SKETCH_GOAL_BGR
    cv2.rectangle(sketch, (0, edge), (width - 1, round(row(-scene.line_width_m))), SKETCH_LINE_BGR, cv2.FILLED)
    centre = (SKETCH_BALL_X_PX, row(margin + r))
    cv2.circle(sketch, _fixed(centre), round(r * per_m * (1 << SUBPIXEL_BITS)), SKETCH_BALL_BGR, cv2.FILLED,
               cv2.LINE_AA, SUBPIXEL_BITS)
    cv2.circle(sketch, _fixed(centre), round(r * per_m * (1 << SUBPIXEL_BITS)), SKETCH_OUTLINE_BGR, 2,
               cv2.LINE_AA, SUBPIXEL_BITS)
    trailing = round(row(margin))
    cv2.line(sketch, (SKETCH_BALL_X_PX, trailing), (SKETCH_ARROW_X_PX, trailing), SKETCH_OUTLINE_BGR, 1, cv2.LINE_AA)
    cv2.line(sketch, (SKETCH_ARROW_X_PX - 8, edge), (SKETCH_ARROW_X_PX + 8, edge), SKETCH_OUTLINE_BGR, 1, cv2.LINE_AA)
    if abs(trailing - edge) > 6:
        cv2.arrowedLine(sketch, (SKETCH_ARROW_X_PX, edge), (SKETCH_ARROW_X_PX, trailing), SKETCH_OUTLINE_BGR, 1,
                        cv2.LINE_AA, tipLength=min(0.5, 6 / abs(trailing - edge)))
    label = distance_text(margin) if scene.margin_m is not None else f"{abs(scene.margin_px):.1f} px"
    (label_width, label_height), _ = cv2.getTextSize(label, SMALL_FONT, SKETCH_LABEL_SCALE, 1)
    between = abs(trailing - edge) > 2 * label_height + 8
    label_row = round((edge + trailing + label_height) / 2) if between else min(edge, trailing) - 8
    label_left = min(SKETCH_ARROW_X_PX + 6, width - 6 - label_width) if between else width - 6 - label_width
    cv2.rectangle(sketch, (label_left - 3, label_row - label_height - 3), (label_left + label_width + 3, label_row + 4),
                  SKETCH_OUTLINE_BGR, cv2.FILLED)
    cv2.putText(sketch, label, (label_left, label_row), SMALL_FONT, SKETCH_LABEL_SCALE, SKETCH_TEXT_BGR, 1,
                cv2.LINE_AA)
    cv2.putText(sketch, "FROM ABOVE", (12, 22), SMALL_FONT, SMALL_SCALE, SKETCH_TEXT_BGR, 1, cv2.LINE_AA)
    cv2.putText(sketch, "goal", (12, 44), SMALL_FONT, SKETCH_LABEL_SCALE, SKETCH_TEXT_BGR, 1, cv2.LINE_AA)
    cv2.putText(sketch, "field", (12, height - 12), SMALL_FONT, SKETCH_LABEL_SCALE, SKETCH_TEXT_BGR, 1, cv2.LINE_AA)
    cv2.line(sketch, (0, 0), (0, height - 1), SKETCH_EDGE_BGR, 2)
    return sketch

