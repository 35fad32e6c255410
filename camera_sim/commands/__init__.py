"""The commands of CONTRACT section 1, one module each: `scenario` (run, render) and `video`.

Nothing is imported here: `python -m camera_sim video` loads only what judging a clip needs.
"""
