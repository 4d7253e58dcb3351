"""Paging the on-call: when an incident pages (``owing``), the calls to the provider the
outbox performs (``sending``), who is on call and bringing them in (``oncall``), the
escalation ladder (``escalation``), and what PagerDuty reports back (``webhooks``).

Each call to the provider is outbox work, written beside the change that owes it and
performed after the transaction: a crash, a 5xx or a rate limit is retried, a refusal is
final and said in the channel in words. The page row is unique per incident and service
and carries the provider's dedup key, so a repeat never pages twice.
"""
