"""When customers leave: a proportional-hazards model with left truncation at the window's start."""

from __future__ import annotations

SEGMENT_HR = {"consumer": 1.0, "smb": 0.8, "enterprise": 0.6}

BASE_HAZARD = {"monthly": 0.030, "annual": 0.012, "two_year": 0.006}  # per month at attitude 0
ATTITUDE_LOG_HR = -0.5  # log hazard ratio per unit of attitude: unhappy customers leave faster

PRE_WINDOW_SHARE = 0.25  # of customers signed up before the window
PRE_WINDOW_MONTHS = 36
#: Tenure bands for the realised hazard ratios in ``truth.json`` (``realised_hazards``).
TENURE_BAND_MONTHS = 6
DISCOUNT_MONTHLY = 0.01
