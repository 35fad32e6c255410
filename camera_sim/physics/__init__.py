"""Ball physics: flight, bounces, the goal frame and the net; ground truth for checking."""
