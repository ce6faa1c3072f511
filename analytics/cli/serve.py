"""``iconic app`` serves the dashboard; ``iconic warm`` opens its pages so results are ready."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analytics import config
from analytics.cli.options import Commands, command
from analytics.cli.output import err


def register(sub: Commands) -> None:
    with command(sub, "app", _app, json=None) as p:
        p.add_argument("--port", type=int, default=8501)
        p.add_argument("--host", default="localhost", help="address to bind (default: localhost only)")
    with command(sub, "warm", _warm, json=None, warehouse=None) as p:
        p.add_argument("--url", default="http://127.0.0.1:8501", help="the server (default: http://127.0.0.1:8501)")
        p.add_argument(
            "--query",
            action="append",
            default=None,
            metavar="QUERY",
            help="a scope to warm as the page's URL query, e.g. channel=voice (repeatable; default: all data)",
        )
        p.add_argument("--deadline", type=float, default=3600.0, help="seconds to wait at most (default 3600)")


def _app(args: argparse.Namespace) -> int:
    """serve the dashboard (http://localhost:8501)"""
    app = Path(__file__).resolve().parents[2] / "app.py"
    env = dict(os.environ)
    root = config.warehouse_path(args.warehouse)  # refuses a path no command could use, before serving
    if args.warehouse:
        env["ICONIC_WAREHOUSE"] = str(root.resolve())
    if args.engine:
        env["ICONIC_ENGINE"] = args.engine
    cmd = [
        sys.executable, "-m", "analytics.ui.serve", "run", str(app),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # A served app does not edit itself: no file watcher (it floods inotify on a busy machine).
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
    ]  # fmt: skip
    err(f"serving the dashboard on http://{args.host}:{args.port}")
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the server rather than start it as a child: a signal sent to `iconic app` (Ctrl-C, a
    # service manager's SIGTERM) then reaches the server itself, and nothing is left orphaned.
    os.execve(sys.executable, cmd, env)


def _warm(args: argparse.Namespace) -> int:
    """open every dashboard page so its results are ready before people arrive

    Open every page of a running dashboard, as a browser would, and wait until none is still computing a result in
    the background: run it after a restart or the nightly ingest (`iconic ingest ... && iconic warm`), once per
    server behind a proxy.
    """
    import asyncio

    from analytics.errors import UsageError
    from analytics.ui.load import warm

    try:
        visits = asyncio.run(warm(args.url, queries=tuple(args.query or ("",)), deadline_s=args.deadline))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot reach the dashboard at {args.url}: {exc}") from None
    for v in visits:
        state = "; ".join(v.errors) if v.errors else "ready" if v.complete else "still computing"
        print(f"{v.page:28} {v.query or 'all data':16} {v.seconds:7.1f} s  {state}")
    failed = [v for v in visits if v.errors or not v.complete]
    return 1 if failed else 0
