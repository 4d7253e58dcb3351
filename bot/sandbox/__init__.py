"""A local Slack: the Web API, a workspace in memory, and Slack's side of the requests.

The sandbox (``incidentbot sandbox``) runs the bot against it, and the tests do too,
so a rule of Slack's added for one is added for both.

It keeps channels, messages, pins and views in memory, enforces the rules of
Slack's that the bot must respect (tokens, channel-name syntax, name_taken,
Block Kit limits, trigger expiry, rate limits), can fail on demand, records
every call, and sends the bot signed requests the way Slack does (acting.py).
"""

from bot.sandbox.slack_api import SlackStandIn

__all__ = ["SlackStandIn"]
