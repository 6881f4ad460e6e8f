"""Reconcilers: make ops state match the desired state the dbt action marts compute."""
