"""The interactions table: every contact the demo's customers make."""

from __future__ import annotations

SEGMENT_CONTACT_RATE = {"consumer": 0.45, "smb": 0.65, "enterprise": 1.30}  # contacts per customer-month

BAD_INTERACTION_SHARE = 0.0005  # channel "fax": quarantined on ingest
