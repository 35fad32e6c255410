"""Consumers of goal-line events: reading them, wording notifications, the notifier."""
