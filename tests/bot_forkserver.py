"""A zygote for the bot processes the end-to-end tests start.

Every ``incidentbot serve`` would otherwise spend most of a second of CPU
importing the same modules (SQLAlchemy, Alembic, Bolt, uvicorn, httpx), and the
suite starts hundreds. This process imports them once, then forks a child per
request that runs the real ``bot.cli.main`` with the test's environment and
arguments, its output in the test's log. The child is the bot exactly as the
command line starts it; only the imports were done ahead. The guard against
calls inside transactions (``guard_site``) is installed here, before any import,
and so in every child.

Protocol: one JSON line per request on stdin (``env``, ``args``, ``log``; or, for a
command-line run, ``out``, ``err`` and ``code``, the files its output and its exit
code are written to, and ``cwd``, the folder it runs in); the child's pid comes back
as one line on stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback


def main() -> None:
    # What every bot start would import.
    import bot.app.compose
    import bot.runtime.cli
    import bot.runtime.serve
    import bot.runtime.web

    # And the two libraries the drift, fairness, review and post-mortem paths load on
    # first use (about a second of CPU in each bot or command that uses them; the
    # suite starts dozens). Only third-party modules: the bot's own modules still load
    # on first use, reading the test's settings. The bot picks the same off-screen
    # backend when it draws.
    importlib.import_module("matplotlib").use("Agg")
    for library in ("matplotlib.pyplot", "scipy.stats"):
        importlib.import_module(library)

    # Children are reaped by the kernel: none lingers as a zombie that looks alive.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(bot.runtime.cli.main, request)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


def _child(run: object, request: dict[str, object]) -> None:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        if "out" in request:  # a command-line run: its output apart, its exit code kept
            os.dup2(os.open(str(request["out"]), os.O_WRONLY | os.O_CREAT, 0o600), 1)
            os.dup2(os.open(str(request["err"]), os.O_WRONLY | os.O_CREAT, 0o600), 2)
        else:
            log = os.open(str(request["log"]), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        if request.get("cwd"):  # a command typed in a folder: relative paths are read there
            os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        args = [str(a) for a in request["args"]]  # type: ignore[attr-defined]
        sys.argv = ["incidentbot", *args]
        code = run(args) or 0  # type: ignore[operator]
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        if "code" in request:  # written whole, then renamed: a reader never sees half
            partial = f"{request['code']}.partial"
            with open(partial, "w") as kept:
                kept.write(str(code))
            os.replace(partial, str(request["code"]))
        os._exit(code)


if __name__ == "__main__":
    main()
