"""Durable work: what the bot owes Slack because of a stored change, performed until it is
done or known to be impossible (``engine``), with Slack's failures sorted (``failures``)."""
