"""``python -m bot`` is the same as the ``incidentbot`` console script."""

from bot.cli import main

raise SystemExit(main())
