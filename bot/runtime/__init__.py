"""The process: command line, HTTP app, scheduler, metrics, manifest. Nothing imports it."""
