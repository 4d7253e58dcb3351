"""incidentbot: a Slack incident bot for AI and ML failures."""

__version__ = "0.1.0"
