"""One module per use case as the Slack adapter runs it: change state, then show it."""
