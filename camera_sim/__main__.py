import sys

from camera_sim.cli import main

sys.exit(main())
