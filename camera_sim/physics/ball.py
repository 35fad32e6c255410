"""Forces on a flying ball and its contacts with the ground, the goal frame and the net.

All in SI units in the goal frame (see camera_sim.scenario.schema). Sources of the
coefficients are given beside each; they are typical values, not a fit to one ball.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from camera_sim import laws
from camera_sim.physics.vector import ZERO, Vec

AIR_DENSITY_KGPM3 = 1.2
DRAG_COEFFICIENT = 0.25
"""Football above the drag crisis (Asai et al. 2007, Sports Engineering 10: C_d ~ 0.2-0.3)."""
MAGNUS_COEFFICIENT = 1.0
"""Lift scale in F = 1/2 rho A r C (omega x v); gives the few metres of bend seen in free kicks."""
GROUND_RESTITUTION = 0.65
"""Ball on natural grass: a 2 m drop rebounds about 0.85 m."""
GROUND_FRICTION = 0.45
"""Coulomb friction of ball on grass during a bounce."""
ROLLING_DECELERATION_MPS2 = 0.8
"""Rolling resistance of grass: a ball rolled at 8 m/s stops after about 40 m."""
FRAME_RESTITUTION = 0.6
FRAME_FRICTION = 0.3
"""Ball on an aluminium post or crossbar."""
NET_KEEP_NORMAL = 0.03
NET_KEEP_TANGENTIAL = 0.35
"""The net swallows the ball: it keeps this fraction of its speed into / along the net."""
ROLLING_VZ_MPS = 0.25
"""Below this vertical speed at ground contact the ball stops bouncing and rolls."""
REST_SPEED_MPS = 0.03


@dataclass(frozen=True)
class Air:
    """Aerodynamics of the ball's flight; VACUUM switches it all off (for closed-form checks)."""

    density_kgpm3: float = AIR_DENSITY_KGPM3
    drag_coefficient: float = DRAG_COEFFICIENT
    magnus_coefficient: float = MAGNUS_COEFFICIENT


STANDARD_AIR = Air()
VACUUM = Air(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class BallState:
    position_m: Vec
    velocity_mps: Vec
    spin_radps: Vec = ZERO


@dataclass(frozen=True)
class GoalFrame:
    """The collision shapes of one goal, from the scenario's geometry."""

    ball_radius_m: float
    half_width_m: float
    height_m: float
    member_radius_m: float
    depth_m: float

    @property
    def post_x_m(self) -> float:
        return self.half_width_m + self.member_radius_m

    @property
    def bar_z_m(self) -> float:
        return self.height_m + self.member_radius_m

    @property
    def top_m(self) -> float:
        return self.height_m + 2 * self.member_radius_m


def acceleration(velocity: Vec, spin: Vec, radius_m: float, rolling: bool, air: Air = STANDARD_AIR) -> Vec:
    """Gravity, quadratic drag and the Magnus force, per unit mass (m/s^2)."""
    area = math.pi * radius_m * radius_m
    speed = velocity.norm()
    k = 0.5 * air.density_kgpm3 * area / laws.BALL_MASS_KG
    drag = velocity * (-k * air.drag_coefficient * speed)
    if rolling:
        # Rolling: gravity is borne by the ground, resistance opposes the motion.
        return drag + velocity.unit() * (-ROLLING_DECELERATION_MPS2)
    magnus = spin.cross(velocity) * (k * radius_m * air.magnus_coefficient)
    return drag + magnus + Vec(0.0, 0.0, -laws.GRAVITY_MPS2)


def rk4_step(state: BallState, dt_s: float, radius_m: float, rolling: bool, air: Air = STANDARD_AIR) -> BallState:
    """One fourth-order Runge-Kutta step of the free flight (spin held constant)."""
    p, v, w = state.position_m, state.velocity_mps, state.spin_radps
    a1 = acceleration(v, w, radius_m, rolling, air)
    v2 = v + a1 * (dt_s / 2)
    a2 = acceleration(v2, w, radius_m, rolling, air)
    v3 = v + a2 * (dt_s / 2)
    a3 = acceleration(v3, w, radius_m, rolling, air)
    v4 = v + a3 * dt_s
    a4 = acceleration(v4, w, radius_m, rolling, air)
    position = p + (v + v2 * 2 + v3 * 2 + v4) * (dt_s / 6)
    velocity = v + (a1 + a2 * 2 + a3 * 2 + a4) * (dt_s / 6)
    if rolling:
        position = Vec(position.x, position.y, radius_m)
        if velocity.dot(v) <= 0 or velocity.norm() < REST_SPEED_MPS:
            velocity = ZERO  # rolling resistance stops the ball; it does not reverse it
    return BallState(position, velocity, w)


def bounce(state: BallState, normal: Vec, radius_m: float, restitution: float, friction: float) -> BallState:
    """Impact on a rigid surface with outward unit normal `normal`: restitution on the normal
    speed, Coulomb friction on the contact point's slip, which also spins the ball (hollow
    sphere, I = 2/3 m r^2). Unchanged if the ball is already leaving the surface."""
    v, w = state.velocity_mps, state.spin_radps
    v_normal = v.dot(normal)
    if v_normal >= 0:
        return state
    impulse_normal = -(1 + restitution) * v_normal  # per unit mass
    contact_arm = normal * (-radius_m)
    slip = (v - normal * v_normal) + w.cross(contact_arm)
    # The slip stops after a tangential impulse of slip / 2.5 for a hollow sphere.
    impulse_t = slip.unit() * (-min(friction * impulse_normal, slip.norm() / 2.5))
    velocity = v + normal * impulse_normal + impulse_t
    spin = w + contact_arm.cross(impulse_t) * (1.5 / (radius_m * radius_m))
    return BallState(state.position_m, velocity, spin)


def bounce_on_ground(state: BallState, radius_m: float) -> BallState:
    """A bounce on grass, the ball left resting on the ground plane."""
    bounced = bounce(state, Vec(0.0, 0.0, 1.0), radius_m, GROUND_RESTITUTION, GROUND_FRICTION)
    p = bounced.position_m
    return BallState(Vec(p.x, p.y, radius_m), bounced.velocity_mps, bounced.spin_radps)


def reflect(state: BallState, normal: Vec, restitution: float, keep_tangential: float) -> BallState:
    """Bounce off a surface with outward unit normal `normal`."""
    v = state.velocity_mps
    v_normal = v.dot(normal)
    if v_normal >= 0:
        return state
    tangential = v - normal * v_normal
    velocity = tangential * keep_tangential - normal * (restitution * v_normal)
    return BallState(state.position_m, velocity, state.spin_radps * keep_tangential)


def frame_contact(p: Vec, goal: GoalFrame) -> Vec | None:
    """Outward normal if the ball at `p` touches a post or the crossbar, else None."""
    reach = goal.ball_radius_m + goal.member_radius_m
    axis_y = -goal.member_radius_m
    if p.z < goal.top_m + goal.ball_radius_m:
        for post_x in (-goal.post_x_m, goal.post_x_m):
            offset = Vec(p.x - post_x, p.y - axis_y, 0.0)
            if offset.norm() < reach and p.z < goal.top_m:
                return offset.unit()
    if abs(p.x) <= goal.post_x_m + goal.member_radius_m:
        offset = Vec(0.0, p.y - axis_y, p.z - goal.bar_z_m)
        if offset.norm() < reach:
            return offset.unit()
    return None


def net_contact(p: Vec, previous: Vec, goal: GoalFrame) -> Vec | None:
    """Normal pointing back to where the ball came from if it touches the net, else None."""
    r = goal.ball_radius_m
    inside_depth = 0.0 < p.y < goal.depth_m + r
    inside_width = abs(p.x) < goal.post_x_m + r
    below_top = p.z < goal.top_m + r
    if inside_depth and below_top:
        for side in (-1.0, 1.0):
            wall_x = side * goal.post_x_m
            if abs(p.x - wall_x) < r:
                return Vec(1.0 if previous.x > wall_x else -1.0, 0.0, 0.0)
    if inside_width and below_top and abs(p.y - goal.depth_m) < r:
        return Vec(0.0, 1.0 if previous.y > goal.depth_m else -1.0, 0.0)
    if inside_width and 0.0 < p.y < goal.depth_m and abs(p.z - goal.top_m) < r:
        return Vec(0.0, 0.0, 1.0 if previous.z > goal.top_m else -1.0)
    return None
