"""View submissions: the forms people send (declare, rollback and lever confirmations,
triage notes)."""
