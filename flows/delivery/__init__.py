"""Outbox, transports and email rendering: every message is recorded before it is sent."""
