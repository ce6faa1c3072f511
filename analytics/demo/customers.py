"""Who the demo's customers are: segment, region, plan, hidden persona and revenue."""

from __future__ import annotations

SEGMENTS = ("consumer", "smb", "enterprise")
SEGMENT_SHARE = (0.75, 0.20, 0.05)
#: Median monthly revenue per segment; revenue is log-normal with sigma REVENUE_SIGMA.
SEGMENT_REVENUE = {"consumer": 30.0, "smb": 180.0, "enterprise": 1500.0}
REVENUE_SIGMA = 0.8

REGIONS = ("north", "south", "east", "west")
REGION_SHARE = (0.30, 0.25, 0.25, 0.20)
PLANS = ("monthly", "annual", "two_year")
#: Behavioural personas. The data never names them (only ``personas.parquet`` beside the truth does),
#: but each one sets the plan a customer picks, the channels they use and how often they get in
#: touch, so segmentation on behaviour should find them again.
PERSONAS = ("digital_self_server", "phone_loyalist", "contract_mixer")
PERSONA_SHARE = {"consumer": (0.50, 0.35, 0.15), "smb": (0.35, 0.35, 0.30), "enterprise": (0.15, 0.30, 0.55)}
#: Plan by persona (monthly, annual, two_year): each persona leans to its own plan (0.6) and takes
#: either other one with 0.2, so plan hints at the persona without giving it away and a
#: segmentation has to read behaviour to find it.
PLAN_SHARE = {
    "digital_self_server": (0.6, 0.2, 0.2),
    "phone_loyalist": (0.2, 0.6, 0.2),
    "contract_mixer": (0.2, 0.2, 0.6),
}
PERSONA_CHANNEL_SHARE = {  # voice, chat, email, web, social, ivr
    "digital_self_server": (0.06, 0.30, 0.06, 0.48, 0.04, 0.06),
    "phone_loyalist": (0.72, 0.06, 0.12, 0.04, 0.02, 0.04),
    "contract_mixer": (0.25, 0.35, 0.30, 0.04, 0.04, 0.02),
}
#: Multiplies the segment's contact rate; averages about 1 over the consumer persona mix.
PERSONA_CONTACT_RATE = {"digital_self_server": 0.75, "phone_loyalist": 1.1, "contract_mixer": 1.65}
