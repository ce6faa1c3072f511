"""Start the dashboard server (what ``iconic app`` runs): ``python -m analytics.ui.serve run app.py …``.

Streamlit treats a ``pages/`` folder next to the entry script as a legacy multipage app until some
session has called ``st.navigation``. Until then, a deep link such as ``/data_quality`` opened on a
freshly started server runs that page on its own, without ``app.py``'s global filters and navigation.
Our ``pages/`` are ``st.navigation`` pages, so the launcher says so before the server starts.
``tests/test_e2e.py`` opens a deep link first on a fresh server to keep this honest.
"""

from __future__ import annotations

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli


def main() -> None:
    PagesManager.uses_pages_directory = False
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
