"""``/incident`` and its subcommands.

Where do I add ``/incident foo``? ``subcommands.py`` lists every subcommand; each is
one ``Subcommand`` (``declaration.py``: its name and aliases, where it may run, its
argument grammar, how it is acknowledged, its handler, its help), declared beside its
kind in ``lifecycle.py`` (declare, list, status, roles, severity, updates, resolve,
private), ``records.py`` (triage, notes, actions, timeline, post-mortem, share-title),
``models_and_data.py`` (model, rollback, contain, drift, fairness) or ``team.py``
(on-call, page, drills, stats). Argument grammars that take more than words are in
``parsing.py``; the listener that reads the declarations is ``incident_command.py``;
``/incident help`` is drawn from them by ``bot.slack.blocks.help``.
"""
