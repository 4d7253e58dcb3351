"""The bot's HTTP edges: what may be fetched (the egress rule) and how much may be read."""
