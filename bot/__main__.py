"""``python -m bot`` is the same as the ``incidentbot`` console script."""

from bot.runtime.cli import main

raise SystemExit(main())
