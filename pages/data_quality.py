"""Data quality: ingest history, each batch's checks, quarantined rows, and an upload box."""

import pandas as pd
import streamlit as st

from analytics import config, names
from analytics.data import filters as scopes
from analytics.data import schema
from analytics.data.ingest import ingest_bytes
from analytics.data.mapping import parse_mapping_text
from analytics.errors import IconicError
from analytics.report import narrative, views
from analytics.ui import cached, filters, tables

st.title("Data quality")
st.caption("Every file passes the same checks, whether it comes from `iconic ingest`, the demo or this page.")
scope = filters.current()

with st.expander("Bring in a file", expanded=cached.warehouse() is None):
    limit = config.max_upload_mb()
    table = st.selectbox("Table", list(schema.TABLES), key="upload_table", format_func=names.name)
    upload = st.file_uploader(
        f"CSV, CSV.gz or Parquet (up to {limit} MB)", type=["csv", "gz", "parquet"], key="upload_file"
    )
    mapping_file = st.file_uploader("Mapping (optional YAML)", type=["yaml", "yml"], key="upload_mapping")
    if st.button("Validate and ingest", disabled=upload is None, type="primary"):
        try:
            mapping = (
                parse_mapping_text(mapping_file.getvalue().decode("utf-8"), source=mapping_file.name)
                if mapping_file
                else None
            )
            with st.spinner(f"Validating {upload.name} …"):
                result = ingest_bytes(
                    table, upload.name, upload.getvalue(), mapping=mapping, max_bytes=limit * 1024 * 1024
                )
        except (IconicError, UnicodeDecodeError) as exc:
            st.error(str(exc))
        else:
            cached.refresh()
            if result.status == "rejected":
                st.error(f"Rejected: {result.message}")
            elif result.status == "unchanged":
                st.info(result.message)
            else:
                st.success(result.message)
            failed = pd.DataFrame([c.to_dict() for c in result.failed_checks])
            if not failed.empty:
                tables.show(
                    failed,
                    ["rule", "column", "unexpected_count", "message"],
                    name="failed_checks",
                    scope=scope,
                    wrap=True,
                )

if cached.warehouse() is None:
    st.info(f"No warehouse at `{config.warehouse_path()}` yet: ingest a file above, or build the demo on the Overview.")
    st.stop()

history = cached.ingest_history()
counts = cached.quarantine_counts()
gaps = cached.reference_gaps()
for sentence in narrative.quality_summary(history, counts, gaps):
    st.markdown(sentence)

st.subheader("Tables")
wh = cached.warehouse()
summary = cached.table_summary(scope)
st.caption(f"Warehouse `{wh.root}` · data version `{wh.data_version}` · scope: {scope.describe()}")
for sentence in narrative.overview_summary(summary, None if history.empty else history.iloc[0].to_dict()):
    st.markdown(sentence)
tables.show(
    summary,
    ["table", "rows", "rows_in_scope", "version", "updated_at", "latest_event_at"],
    name="tables",
    scope=scope,
)
with st.expander("What the scope keeps"):
    for kind, rule in scopes.scope_rules(scope).items():
        st.markdown(f"- **{kind.capitalize()}**: {rule}")

st.subheader("Ingest history")
tables.show(
    history,
    views.INGEST_HISTORY,
    name="ingest_history",
    scope=scope,
    wrap=True,
)

if not history.empty:
    st.subheader("Checks on one batch")
    labels = {
        row.batch_id: f"{row.started_at:%Y-%m-%d %H:%M} · {row.table_name} · {row.status} · {row.rows_in:,} rows"
        for row in history.itertuples()
    }
    batch = st.selectbox("Batch", list(labels), format_func=labels.__getitem__, key="batch")
    tables.show(
        cached.batch_checks(batch),
        ["rule", "column", "success", "policy", "unexpected_count", "examples", "message"],
        name="batch_checks",
        scope=scope,
        wrap=True,
    )

st.subheader("Quarantine")
if counts.empty:
    st.write("No rows have been quarantined.")
else:
    tables.show(
        counts.rename(columns={"rows": "rows_quarantined"}),
        ["table", "reasons", "rows_quarantined"],
        name="quarantine_counts",
        scope=scope,
    )
    q_table = st.selectbox(
        "Rows from table", counts["table"].unique().tolist(), key="quarantine_table", format_func=names.name
    )
    tables.show(
        cached.quarantined_rows(q_table),
        ["batch_id", "row_number", "reasons", "record"],
        name=f"quarantine_{q_table}",
        scope=scope,
    )

st.subheader("References between tables")
if gaps.empty:
    st.write("Nothing to cross-check yet: references are checked once both tables of a pair are stored.")
else:
    missing = gaps[gaps["rows_missing"] > 0]
    if missing.empty:
        st.success("Every stored reference names a stored row.")
    else:
        st.warning(
            "Some rows name a customer or contact that is not stored (not loaded yet, or quarantined). They "
            "stay in the warehouse, but cuts that join the other table leave them out."
        )
    tables.show(gaps, ["table", "column", "references", "rows_missing", "examples"], name="references", scope=scope)
