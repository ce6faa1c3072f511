"""Units every floor measures time in."""

#: The mean Gregorian month (365.25 / 12 days): tenure, lifetimes and churn rates are counted in it.
MONTH_DAYS = 30.4375
MONTH_SECONDS = MONTH_DAYS * 86400
