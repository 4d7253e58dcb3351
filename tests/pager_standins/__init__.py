"""Local stand-ins for the on-call providers the bot pages: PagerDuty's REST API v2 (and
its signed Webhooks v3) and the Opsgenie-shaped alert API. Each enforces the vendor's
documented rules the bot relies on: authentication, required fields, dedup, status
transitions, rate limits and error bodies."""
