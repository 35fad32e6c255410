"""The running score of a match from goal calls (pure logic).

>>> board = Scoreboard(home="Rovers", away="United")
>>> board.goal("United", end="south", clock_s=1865.7)
True
>>> board.goal("United", end="south", clock_s=1866.1)  # a second camera on the same crossing
False
>>> board.as_data()
{'home': 'Rovers', 'away': 'United', 'score': {'home': 0, 'away': 1}}
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAME_GOAL_WINDOW_S = 5.0
"""Goal calls at the same end within 5 s of match clock are one goal seen by several cameras
(no two goals at one end come that close: the ball must go back to the centre spot, Law 8)."""


@dataclass
class Scoreboard:
    """Goals per team, each goal counted once however many cameras report it."""

    home: str
    away: str
    goals: dict[str, int] = field(default_factory=dict)
    _last_goal_at: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def goal(self, team: str, end: str, clock_s: float) -> bool:
        """Count a goal call; False when it repeats a goal already counted (another camera)."""
        last = self._last_goal_at.get(end)
        if last is not None and abs(clock_s - last) < SAME_GOAL_WINDOW_S:
            return False
        self._last_goal_at[end] = clock_s
        self.goals[team] = self.goals.get(team, 0) + 1
        return True

    def as_data(self) -> dict:
        """Teams and score as event data."""
        score = {"home": self.goals.get(self.home, 0), "away": self.goals.get(self.away, 0)}
        return {"home": self.home, "away": self.away, "score": score}
