"""Containment: the team's levers, the MLflow registry client, rollback planning."""
