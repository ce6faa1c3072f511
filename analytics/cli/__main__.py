"""`python -m analytics.cli`: the `iconic` command."""

from analytics.cli import run

run()
