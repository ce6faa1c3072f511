"""Overview: what the warehouse holds, how fresh it is, and how the last ingest went."""

import streamlit as st

from analytics import config
from analytics.ui import cached, filters

st.title("Overview")
wh = cached.warehouse()
if wh is None:
    st.info(
        f"No warehouse at `{config.warehouse_path()}` yet. Run `make demo` (or `iconic demo`), "
        "or bring your own files on the **Data quality** page."
    )
    st.stop()

scope = filters.current()
summary = cached.table_summary()
in_scope = cached.scope_counts(scope)
history = cached.ingest_history(limit=1)

st.caption(f"Warehouse `{wh.root}` · data version `{wh.data_version}` · scope: {scope.describe()}")
cols = st.columns(3)
for col, (_, row) in zip(cols, in_scope.iterrows(), strict=True):
    total = int(summary.loc[summary["table"] == row["table"], "rows"].iloc[0])
    col.metric(row["table"].capitalize(), f"{row['rows']:,}", help=f"{total:,} stored in all")

st.subheader("Tables")
st.dataframe(
    summary,
    hide_index=True,
    column_config={
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "updated_at": st.column_config.DatetimeColumn("Last commit (UTC)"),
        "latest_event_at": st.column_config.DatetimeColumn("Latest event (UTC)"),
    },
)

st.subheader("Last ingest")
if history.empty:
    st.write("Nothing ingested yet.")
else:
    last = history.iloc[0]
    show = st.success if last["status"] == "committed" else st.error
    show(f"**{last['table_name']}** · {last['status']} · {last['started_at']:%Y-%m-%d %H:%M} UTC — {last['message']}")
