"""Build the demo warehouse through the validated ingest path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from analytics.data.ingest import IngestResult, ingest
from analytics.demo.files import SOURCES
from analytics.demo.sources import generate


def build(
    root: Path,
    *,
    customers: int = 20_000,
    months: int = 36,
    seed: int = 7,
    always_met: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[IngestResult]:
    """Generate the demo files under ``root/_sources`` and ingest each through ``analytics.data.ingest``.

    An existing warehouse at ``root`` is replaced, but only if it holds nothing except Delta tables,
    the lock file and demo sources; anything else is refused rather than deleted.
    """
    root = Path(root)
    if root.exists():
        strangers = [
            p.name for p in root.iterdir() if not ((p / "_delta_log").is_dir() or p.name in {SOURCES, ".ingest.lock"})
        ]
        if strangers:
            raise FileExistsError(
                f"{root} holds files that are not warehouse tables ({strangers[:3]}); not replacing it"
            )
        shutil.rmtree(root)
    say = progress or (lambda _m: None)
    say(f"generating demo data: {customers:,} customers over {months} months (seed {seed})")
    files = generate(root / SOURCES, customers=customers, months=months, seed=seed, always_met=always_met)
    return [ingest(table, path, warehouse_path=root, progress=say) for table, path in files.items()]
