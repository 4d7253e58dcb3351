"""Alerts from monitoring: one parser per source, and the ingest that turns them into incidents."""
