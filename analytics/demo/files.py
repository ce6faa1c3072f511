"""The files the demo writes beside the warehouse (under ``SOURCES``), and their readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

SOURCES = "_sources"
TRUTH_FILE = "truth.json"
PERSONAS_FILE = "personas.parquet"
CONTACTS_TRUTH_FILE = "contacts_truth.parquet"
#: The source file of each table, in the order ``warehouse.build`` ingests them.
TABLE_FILES = {
    "attributes": "attributes.csv",
    "assessment": "assessment.csv",
    "customers": "customers.parquet",
    "interactions": "interactions.parquet",
    "invitations": "invitations.parquet",
    "surveys": "surveys.parquet",
}


def load_personas(root: Path) -> pd.DataFrame:
    """The planted persona of every customer in the demo warehouse at ``root``: ``customer_id``, ``persona``."""
    return pq.read_table(Path(root) / SOURCES / PERSONAS_FILE).to_pandas()


def load_truth(root: Path) -> dict[str, Any]:
    """Read the planted truth of the demo warehouse at ``root``."""
    data: dict[str, Any] = json.loads((Path(root) / SOURCES / TRUTH_FILE).read_text())
    return data
