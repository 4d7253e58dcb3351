"""Block Kit, one module per surface a person sees. Views draw what they are given: they
never import a use case, a listener or the outbox."""
