"""Data quality: ingest history, each batch's checks, quarantined rows, and an upload box."""

import streamlit as st

from analytics import config, schema
from analytics.errors import IconicError
from analytics.ingest import ingest_bytes
from analytics.mapping import parse_mapping_text
from analytics.ui import cached

st.title("Data quality")
st.caption("Every file passes the same checks, whether it comes from `iconic ingest`, the demo or this page.")

with st.expander("Bring in a file", expanded=cached.warehouse() is None):
    limit = config.max_upload_mb()
    table = st.selectbox("Table", list(schema.TABLES), key="upload_table")
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
            failed = [c.to_dict() for c in result.failed_checks]
            if failed:
                st.dataframe(failed, hide_index=True, column_order=["rule", "column", "unexpected_count", "message"])

if cached.warehouse() is None:
    st.info(f"No warehouse at `{config.warehouse_path()}` yet: ingest a file above, or run `make demo`.")
    st.stop()

st.subheader("Ingest history")
history = cached.ingest_history()
st.dataframe(
    history,
    hide_index=True,
    column_order=[
        "started_at",
        "table_name",
        "status",
        "rows_in",
        "rows_committed",
        "rows_quarantined",
        "source_file",
        "message",
    ],
    column_config={"started_at": st.column_config.DatetimeColumn("Started (UTC)", format="YYYY-MM-DD HH:mm:ss")},
)

if not history.empty:
    st.subheader("Checks on one batch")
    labels = {
        row.batch_id: f"{row.started_at:%Y-%m-%d %H:%M} · {row.table_name} · {row.status} · {row.rows_in:,} rows"
        for row in history.itertuples()
    }
    batch = st.selectbox("Batch", list(labels), format_func=labels.__getitem__, key="batch")
    st.dataframe(cached.batch_checks(batch), hide_index=True)

st.subheader("Quarantine")
counts = cached.quarantine_counts()
if counts.empty:
    st.write("No rows have been quarantined.")
else:
    st.dataframe(counts, hide_index=True)
    q_table = st.selectbox("Rows from table", counts["table"].unique().tolist(), key="quarantine_table")
    st.dataframe(cached.quarantined_rows(q_table), hide_index=True)

st.subheader("References between tables")
gaps = cached.reference_gaps()
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
    st.dataframe(gaps.drop(columns="message"), hide_index=True)
