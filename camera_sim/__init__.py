"""Goal-line cameras: scenario -> physics -> camera -> detect -> track -> decide -> events."""

import os

# FFmpeg inside OpenCV logs to stderr on its own ("moov atom not found"); our errors say it in
# one line instead. Set before cv2 is first imported.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
