"""The incident domain: plain functions over a SQLAlchemy session. No Slack here."""
