"""Start the dashboard server (what ``iconic app`` runs): ``python -m analytics.ui.serve run app.py …``.

Streamlit treats a ``pages/`` folder next to the entry script as a legacy multipage app until some
session has called ``st.navigation``. Until then, a deep link such as ``/data_quality`` opened on a
freshly started server runs that page on its own, without ``app.py``'s global filters and navigation.
Our ``pages/`` are ``st.navigation`` pages, so the launcher says so before the server starts.
``tests/test_e2e.py`` opens a deep link first on a fresh server to keep this honest.

The launcher also imports the analytics modules the pages use (scikit-learn, Altair, …) before the
server starts listening, so the first page a visitor opens does not pay for them.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

#: What the pages import; loaded before the server listens so the first visitor does not wait for it.
#: (Modules that define cached functions are left to the first page run: outside a running server
#: Streamlit's caches fall back to a plain memory store and say so.)
PRELOAD = (
    "analytics.analyses.advocacy",
    "analytics.analyses.segmentation",
    "analytics.report.charts",
    "analytics.report.narrative",
    "analytics.data.ingest",
)


def main() -> None:
    PagesManager.uses_pages_directory = False
    for module in PRELOAD:
        importlib.import_module(module)
    sys.exit(cli.main())


if __name__ == "__main__":
    main()


#: Debian's Chromium (``make browser``) and the flags it needs on a machine with no outside network;
#: the browser tests and the page benchmark launch it through Playwright with these.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(
    warehouse: str | os.PathLike[str],
    *,
    port: int | None = None,
    start_timeout: float = 90,
    source: str | os.PathLike[str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve the dashboard on ``warehouse`` in a child process, as ``iconic app`` does, for tests and
    benchmarks. Yields its URL once it answers its health check, and the process. However the block
    ends, the server is stopped: SIGTERM, then SIGKILL if it has not left within 15 s.

    ``source``: another checkout whose code the server runs (for before-and-after benchmarks); the
    child starts in it with it on ``PYTHONPATH``, so ``python -m`` finds its ``analytics`` first.
    """
    port = port or free_port()
    env = {**os.environ, "ICONIC_WAREHOUSE": str(warehouse)}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    cmd = [sys.executable, "-m", "analytics.cli", "app", "--port", str(port), "--host", "127.0.0.1"]
    proc = subprocess.Popen(cmd, env=env, cwd=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboard did not start on {url}") from None
                time.sleep(0.3)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
