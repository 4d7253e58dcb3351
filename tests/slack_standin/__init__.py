"""A local stand-in for the Slack Web API, for tests and benchmarks.

It keeps channels, messages, pins and views in memory, enforces the rules of
Slack's that the bot must respect (tokens, channel-name syntax, name_taken,
Block Kit limits, trigger expiry, rate limits), can fail on demand, records
every call, and sends the bot signed requests the way Slack does (acting.py).
"""

from tests.slack_standin.server import SlackStandIn

__all__ = ["SlackStandIn"]
