"""The attributes table: the survey's attribute ratings, tactile or emotive."""

from __future__ import annotations

ATTRIBUTES = (
    ("speed", "Speed of response", "tactile"),
    ("resolution", "Problem resolved", "tactile"),
    ("clarity", "Clear information", "tactile"),
    ("empathy", "Understood my situation", "emotive"),
    ("courtesy", "Courteous and respectful", "emotive"),
    ("valued", "Made me feel valued", "emotive"),
)
