"""Paging the on-call: the providers (PagerDuty's REST API, the Opsgenie-shaped alert API),
what they send back (webhooks), which service an incident pages, and the escalation
ladder. Nothing here talks to Slack; ``bot.app.paging`` does."""
