"""The application: use cases, typed effects and their engine, the services, background work."""
