"""Decision pictures: the evidence a broadcaster shows for a goal or a no-goal.

scene.py   what a picture shows, made from a decision and the calibration (pure, no drawing);
draw.py    the picture as a numpy array (pure: frame + scene in, image out);
store.py   writing it as a PNG named by the event's id (the only I/O).

The decision code never imports any of this; camera_sim/commands/ wires it at each decision.
"""
