"""Domain errors. A user's mistake raises one of these, and the CLI prints it without a traceback."""

from __future__ import annotations


class IconicError(Exception):
    """Base class for errors caused by input or configuration rather than by a bug."""


class IngestError(IconicError):
    """A file or mapping cannot be ingested at all (not found, unreadable mapping, unknown table).

    Batches that are read but fail validation are not errors: they come back as a rejected
    ``IngestResult`` and are logged.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rule: str | None = None,
        examples: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.file = file
        self.column = column
        self.rule = rule
        self.examples = examples


class WarehouseError(IconicError):
    """The warehouse is missing, or a table asked for is not in it."""


class UsageError(IconicError):
    """A command was asked for something that cannot be (e.g. a date range that ends before it starts)."""
