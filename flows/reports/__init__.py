"""Scheduled reports: query the marts, draw charts, render HTML + text, queue through the outbox."""
