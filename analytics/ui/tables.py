"""Tables in the dashboard: registered labels and formats, help on each header, a CSV download."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from analytics.data.filters import Filters
from analytics.report import columns as cols

#: Columns that name a row: pinned at the left while a wide table scrolls, when among the first four.
KEY_COLUMNS = frozenset(
    {"rank", "moment", "group", "journey_stage", "contact_reason", "handled_by", "label", "segment_name", "question"}
    | {"revenue_tier", "advocacy", "table", "rule"}
)
#: Columns that say what to do: always pinned, so the action never needs a sideways scroll.
ACTION_COLUMNS = frozenset({"action", "driver_action"})
#: A static, wrapping table is drawn for at most this many rows.
WRAP_ROWS = 60
#: Pixels a character of a cell takes, and the widest a grid column is drawn.
CHAR_PX, MAX_PX = 7.5, 320


def pinned_columns(columns: Sequence[str]) -> set[str]:
    """The columns pinned at the left: the leading key columns and every action column."""
    keys = {c for c in columns[:4] if c in KEY_COLUMNS}
    return keys | {c for c in columns if c in ACTION_COLUMNS}


def column_width(values: pd.Series) -> int | None:
    """``MAX_PX`` for a column whose longest cell would be wider, so one long text cannot push the
    rest of the table off screen (its cell shows whole on hover); None (the grid sizes it to its
    content) otherwise."""
    longest = max([len(str(values.name)), *(len(str(v)) for v in values)]) if len(values) else len(str(values.name))
    return MAX_PX if longest * CHAR_PX + 24 > MAX_PX else None


def show(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    name: str,
    scope: Filters,
    group: str | None = None,
    aliases: Mapping[str, str] | None = None,
    height: int | None = None,
    wrap: bool = False,
) -> None:
    """Render ``frame``'s ``columns`` as the registry formats them, with a CSV download of the raw
    numbers named after the table and the scope (``nps_by_plan__channel-voice.csv``).

    The columns that say which row it is (rank, moment, group, …) and the action stay pinned at
    the left when a wide table scrolls, and each column is as wide as its longest cell, within
    bounds. With ``wrap``, a short table with long messages is drawn as a static table whose cells
    wrap, so no message is cut off."""
    shown = cols.present(frame, columns, group=group, aliases=aliases)
    pinned = pinned_columns(columns)
    if wrap and len(shown) <= WRAP_ROWS:
        # Long messages read whole: a static table wraps its cells, a grid cuts them at its width.
        st.table(shown.astype(object).where(shown.notna(), "—"))
    else:
        config: dict[str, Any] = {}
        for source, (column, text) in zip(
            columns, cols.help_texts(columns, group=group, aliases=aliases).items(), strict=True
        ):
            width = column_width(shown[column])
            if shown[column].dtype == "Int64":
                config[column] = st.column_config.NumberColumn(
                    column, help=text or None, format="localized", width=width, pinned=source in pinned or None
                )
            else:
                config[column] = st.column_config.TextColumn(
                    column, help=text or None, width=width, pinned=source in pinned or None
                )
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
