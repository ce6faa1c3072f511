"""Tables in the dashboard: registered labels and formats, help on each header, a CSV download."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from analytics.filters import Filters
from analytics.ui import columns as cols


def show(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    name: str,
    scope: Filters,
    group: str | None = None,
    aliases: Mapping[str, str] | None = None,
    height: int | None = None,
) -> None:
    """Render ``frame``'s ``columns`` as the registry formats them, with a CSV download of the raw
    numbers named after the table and the scope (``nps_by_plan__channel-voice.csv``)."""
    shown = cols.present(frame, columns, group=group, aliases=aliases)
    config: dict[str, Any] = {}
    for column, text in cols.help_texts(columns, group=group, aliases=aliases).items():
        if shown[column].dtype == "Int64":
            config[column] = st.column_config.NumberColumn(column, help=text or None, format="localized")
        else:
            config[column] = st.column_config.TextColumn(column, help=text or None)
    st.dataframe(shown, hide_index=True, column_config=config, height=height or "auto")
    csv = cols.export(frame, columns, group=group, aliases=aliases).to_csv(index=False).encode("utf-8")
    st.download_button(
        "Download CSV",
        csv,
        file_name=f"{name}__{scope.slug()}.csv",
        mime="text/csv",
        key=f"download_{name}",
        icon=":material/download:",
    )
