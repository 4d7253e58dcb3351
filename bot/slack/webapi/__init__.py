"""Slack's Web API as the bot calls it: the client, its calls, replies and readers."""
