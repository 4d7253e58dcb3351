"""The Slack adapter: listeners parse and acknowledge, the domain decides,
provision and notify talk to Slack."""
