"""Goal-line decisions from tracked ball measurements (Law 10: whole ball over the whole line)."""
