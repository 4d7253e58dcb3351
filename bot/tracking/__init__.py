"""Follow-through where the team works: action items filed as tickets in Jira Cloud or
GitHub Issues (one interface, ``tracker.Tracker``), what the trackers report back, and
post-mortems published to Confluence."""
