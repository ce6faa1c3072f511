"""The attributes table: the survey's attribute ratings, tactile or emotive."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

ATTRIBUTES = (
    ("speed", "Speed of response", "tactile"),
    ("resolution", "Problem resolved", "tactile"),
    ("clarity", "Clear information", "tactile"),
    ("empathy", "Understood my situation", "emotive"),
    ("courtesy", "Courteous and respectful", "emotive"),
    ("valued", "Made me feel valued", "emotive"),
)


def attributes_table() -> pa.Table:
    """The attributes table: ``attribute``, ``label``, ``kind`` and the 1-5 scale of every rating."""
    attrs = pd.DataFrame(ATTRIBUTES, columns=["attribute", "label", "kind"]).assign(scale_min=1, scale_max=5)
    return pa.Table.from_pandas(attrs, preserve_index=False)
