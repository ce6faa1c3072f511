"""What every command prints besides its numbers: its exit code, a line on stderr, progress, records."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress() -> Any:
    start = time.monotonic()

    def say(message: str) -> None:
        err(f"[{time.monotonic() - start:6.1f}s] {message}")

    return say


def print_json(data: Any) -> None:
    """A command's ``--json`` answer: indented, with dates and other values JSON lacks as their text."""
    print(json.dumps(data, indent=2, default=str))


def records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))
