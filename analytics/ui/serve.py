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

import importlib
import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

#: What the pages import; loaded before the server listens so the first visitor does not wait for it.
PRELOAD = ("analytics.ui.cached", "analytics.ui.tables", "analytics.charts", "analytics.narrative", "analytics.ingest")


def main() -> None:
    PagesManager.uses_pages_directory = False
    for module in PRELOAD:
        importlib.import_module(module)
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
