"""Canonical tables: their columns, types and keys.

This module holds *structure* only: which columns a table has, their types, which must be present in
a file and which column is the key. The value rules (ranges, code lists, dates not in the future) live
in the Great Expectations suites under ``expectations/``, so that a data owner can read and extend them
without touching code. ``tests/test_expectations.py`` keeps the two consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

DType = Literal["string", "int", "float", "bool", "timestamp"]
TableKind = Literal["dimension", "fact"]

CHANNELS = ("voice", "chat", "email", "web", "social", "ivr")
JOURNEY_STAGES = ("learn", "buy", "get", "use", "pay", "support")
ATTRIBUTE_KINDS = ("tactile", "emotive")
#: Answers to the self-assessment: yes / partly / no to a practice, and what comes first at a journey
#: stage (``analytics.analyses.benchmarks.QUESTIONS``).
ASSESSMENT_ANSWERS = ("yes", "partly", "no", "satisfaction", "balanced", "efficiency")

#: Survey columns named ``rating_<attribute>`` hold attribute ratings; the ``attributes`` table
#: describes each attribute.
RATING_PREFIX = "rating_"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}

_SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
}


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``required`` columns must be present in every file; optional ones are filled with nulls when a
    file lacks them. ``references`` names the table whose key the column holds (``REFERENCES``).
    """

    name: str
    dtype: DType
    required: bool = True
    description: str = ""
    references: str | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.dtype]

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self.dtype]


@dataclass(frozen=True)
class Table:
    """One canonical table.

    Dimensions (customers, attributes, assessment) are upserted by key. Facts (interactions,
    surveys, invitations) are append-only: a key already stored is a row-level failure, never a silent duplicate.
    """

    name: str
    key: str
    kind: TableKind
    columns: tuple[Column, ...]
    description: str = ""
    #: Columns starting with this prefix are accepted as floats (e.g. survey attribute ratings).
    dynamic_prefix: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """Return the canonical column ``name``, including dynamic ones such as ``rating_empathy``."""
        for c in self.columns:
            if c.name == name:
                return c
        if self.dynamic_prefix and name.startswith(self.dynamic_prefix):
            return Column(name, "float", required=False)
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def is_canonical(self, name: str) -> bool:
        return name in self.column_names or bool(
            self.dynamic_prefix and name.startswith(self.dynamic_prefix) and len(name) > len(self.dynamic_prefix)
        )


CUSTOMERS = Table(
    name="customers",
    key="customer_id",
    kind="dimension",
    description="One row per customer; later files update customers by key.",
    columns=(
        Column("customer_id", "string"),
        Column("signup_at", "timestamp"),
        Column("churned_at", "timestamp", required=False, description="null while the customer is active"),
        Column("segment", "string"),
        Column("region", "string"),
        Column("plan", "string"),
        Column("monthly_revenue", "float"),
    ),
)

INTERACTIONS = Table(
    name="interactions",
    key="interaction_id",
    kind="fact",
    description="One row per contact, with its tactile measures.",
    columns=(
        Column("interaction_id", "string"),
        Column("customer_id", "string", references="customers"),
        Column("started_at", "timestamp"),
        Column("channel", "string"),
        Column("journey_stage", "string"),
        Column("contact_reason", "string"),
        Column("handled_by", "string", description="in-house team or outsourcing partner"),
        Column("is_automated", "bool", required=False),
        Column("wait_seconds", "float", required=False),
        Column("handle_seconds", "float", required=False),
        Column("transfers", "int", required=False),
        Column("is_resolved", "bool", required=False, description="resolved on first contact"),
        Column("is_escalated", "bool", required=False, description="escalated from L1 to L2/3"),
        Column("cost", "float", required=False),
    ),
)

SURVEYS = Table(
    name="surveys",
    key="survey_id",
    kind="fact",
    description="Survey responses; interaction_id is null for relationship surveys.",
    dynamic_prefix=RATING_PREFIX,
    columns=(
        Column("survey_id", "string"),
        Column("customer_id", "string", references="customers"),
        Column(
            "interaction_id",
            "string",
            required=False,
            description="null for a relationship survey",
            references="interactions",
        ),
        Column("responded_at", "timestamp"),
        Column("ltr", "int", description="likelihood to recommend, 0-10"),
        Column("csat", "int", required=False, description="1-5"),
        Column("effort", "int", required=False, description="1-7, higher is more effort"),
        Column("verbatim", "string", required=False),
    ),
)

ATTRIBUTES = Table(
    name="attributes",
    key="attribute",
    kind="dimension",
    description="Describes the rating_<attribute> columns of surveys.",
    columns=(
        Column("attribute", "string"),
        Column("label", "string"),
        Column("kind", "string", description="tactile or emotive"),
        Column("scale_min", "int"),
        Column("scale_max", "int"),
    ),
)

ASSESSMENT = Table(
    name="assessment",
    key="question_id",
    kind="dimension",
    description="The company's answers to the iconic-firm self-assessment.",
    columns=(
        Column("question_id", "string"),
        Column("question", "string", required=False),
        Column("answer", "string"),
    ),
)

INVITATIONS = Table(
    name="invitations",
    key="invitation_id",
    kind="fact",
    description=(
        "Optional: survey invitations sent, answered or not; interaction_id is null for a relationship "
        "survey. With it, response rates can be measured and responses weighted."
    ),
    columns=(
        Column("invitation_id", "string"),
        Column("customer_id", "string", references="customers"),
        Column(
            "interaction_id",
            "string",
            required=False,
            description="null for a relationship-survey invitation",
            references="interactions",
        ),
        Column("sent_at", "timestamp"),
        Column("channel", "string", required=False, description="how the invitation was sent, e.g. email, sms, in_app"),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (CUSTOMERS, INTERACTIONS, SURVEYS, ATTRIBUTES, ASSESSMENT, INVITATIONS)}

#: Tables the warehouse keeps about its own ingests.
INGEST_LOG = "ingest_log"
QUARANTINE_PREFIX = "quarantine_"
#: References between tables: (table, column) -> the table whose key it names (``Column.references``).
#: Files may arrive in any order, so these are checked on what is stored (``iconic quality``), never
#: at ingest, and a missing reference is a warning: the row stays, but cuts that join the other table
#: leave it out.
REFERENCES: dict[tuple[str, str], str] = {
    (t.name, c.name): c.references for t in TABLES.values() for c in t.columns if c.references is not None
}

#: Saved behavioural segmentation (``analytics.analyses.segmentation.save_assignments``): customer_id,
#: segment_id, segment. Derived, not ingested; each save replaces the last.
SEGMENT_TABLE = "customer_segments"


def table(name: str) -> Table:
    """Return the canonical table ``name`` or raise a ``KeyError`` listing the valid names."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; expected one of: {', '.join(TABLES)}") from None
