"""The web pages' common parts: templates, static files, security headers, error pages.

The sandbox's Slack page and the console are built on it; it knows nothing of either."""
