"""What the codes in the data are called on screen, in the CLI and in the brief.

The data keeps its codes (``billing_question``, ``two_year``, ``in_house``); people read names
(*Billing question*, *Two-year*, *In-house*). Every surface names a value through ``name`` (a table
cell, a chart label, a filter option) or ``phrase`` (inside a sentence), so one code reads the same
everywhere. Codes stay in the data and in ``--json`` keys.

A code this module does not list is de-snaked: ``late_delivery`` reads *Late delivery*. So a
warehouse with its own reasons or plans reads well without a change here; ``NAMES`` holds only the
codes de-snaking would get wrong (acronyms, hyphens, letters that name a partner).
"""

from __future__ import annotations

import re

#: Codes whose de-snaked form reads wrong.
NAMES: dict[str, str] = {
    "smb": "SMB",
    "ivr": "IVR",
    "sms": "SMS",
    "in_app": "In-app",
    "two_year": "Two-year",
    "in_house": "In-house",
    "partner_a": "Partner A",
    "partner_b": "Partner B",
    "partner_c": "Partner C",
    "csat": "CSAT",
    "ces": "CES",
    "nps": "NPS",
    "ltr": "LTR",
}

#: Words kept in capitals inside a name built from a code (``smb_customers`` -> *SMB customers*).
_ACRONYMS = frozenset({"smb", "ivr", "sms", "csat", "ces", "nps", "ltr", "crm", "faq", "id", "vip"})
_SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$|^[a-z0-9]+$")


def name(value: object) -> str:
    """How ``value`` reads in a table cell, a chart label or a filter: ``billing_question`` is
    *Billing question*, ``smb`` is *SMB*. Text that is not a code (it has capitals or spaces) is
    shown as it is; a missing value reads ``—``."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    text = str(value)
    if text in NAMES:
        return NAMES[text]
    if not _SNAKE.match(text):
        return text[:1].upper() + text[1:] if text[:1].islower() and " " in text else text
    words = [w.upper() if w in _ACRONYMS or (len(w) == 1 and i) else w for i, w in enumerate(text.split("_"))]
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])


def phrase(value: object) -> str:
    """How ``value`` reads inside a sentence: ``billing_question`` is *billing question*, while
    *SMB*, *IVR* and *Partner A* keep their capitals."""
    named = name(value)
    if str(value) not in NAMES and not _SNAKE.match(str(value)):
        return str(value) if value is not None and value == value else named  # the data's own wording
    words = named.split(" ")
    first = words[0].split("-", 1)[0]
    lettered = len(words) > 1 and len(words[-1]) == 1 and words[-1].isupper()  # Partner A names one partner
    keep = (first.isupper() and len(first) > 1) or lettered or not named[:1].isupper()
    return named if keep else named[:1].lower() + named[1:]


def code_for(text: str, codes: object) -> str | None:
    """The code among ``codes`` that ``text`` is, or names (case aside): so a link may say
    ``?by=channel`` or ``?by=Channel``, ``?segment=smb`` or ``?segment=SMB``."""
    wanted = str(text).strip().casefold()
    for code in codes:  # type: ignore[attr-defined]
        if wanted in (str(code).casefold(), name(code).casefold()):
            return str(code)
    return None


def money(value: float) -> str:
    """Dollars, compact above a thousand: ``$30.25``, ``$874``, ``$457.8k``, ``$1.2M``; cents only
    below $100, where they still say something; nothing at all is ``$0``."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 999.95e3:
        return f"{sign}${v / 1e6:.1f}M"
    if v >= 999.5:
        return f"{sign}${v / 1e3:.1f}k"
    if v >= 99.995:
        return f"{sign}${v:.0f}"
    if v < 0.005:  # nothing at the precision shown
        return "$0"
    return f"{sign}${v:.2f}"
