"""Dimensions fixed by the IFAB Laws of the Game (2024/25), in metres.

Every goal-frame measurement below is a default a scenario may override; the
decision code never reads them (it sees pixels only), the simulator and the
renderer do.
"""

GOAL_WIDTH_M = 7.32
"""Law 1.10: distance between the inside edges of the posts."""

GOAL_HEIGHT_M = 2.44
"""Law 1.10: distance from the lower edge of the crossbar to the ground."""

LINE_WIDTH_M = 0.12
"""Law 1.2: lines at most 12 cm wide; Law 1.10: posts and crossbar as wide as the goal line."""

BALL_DIAMETER_M = 0.22
"""Law 2.1: circumference 68-70 cm, i.e. a diameter of 21.6-22.3 cm."""

BALL_MASS_KG = 0.43
"""Law 2.1: 410-450 g at the start of the match."""

GOAL_DEPTH_M = 2.0
"""Not a Law: the usual depth of the net behind the goal line at ground level."""

GOAL_AREA_DEPTH_M = 5.5
"""Law 1.3: the goal area reaches 5.5 m into the field of play from the goal line."""

GRAVITY_MPS2 = 9.81
