"""Consumers of goal-line events (the notifier arrives with the event-side issue)."""
