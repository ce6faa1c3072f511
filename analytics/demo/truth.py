"""The planted truth written to ``truth.json``, and what the world realised from it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analytics.data.schema import CHANNELS
from analytics.demo.attitude import (
    ATTITUDE_REVERSION,
    ATTITUDE_START,
    EMOTIVE_FROM_OUTCOME,
    EMOTIVE_NOISE_SD,
    SWING_SCALE,
    TACTILE_NOISE_SD,
)
from analytics.demo.churn import (
    ATTITUDE_LOG_HR,
    BASE_HAZARD,
    DISCOUNT_MONTHLY,
    PRE_WINDOW_MONTHS,
    PRE_WINDOW_SHARE,
    SEGMENT_HR,
    lifetime_values,
)
from analytics.demo.columns import WINDOW_END, window_start_us
from analytics.demo.customers import (
    PERSONA_PROFILES,
    PERSONA_SHARE,
    PERSONAS,
    PLANS,
    REVENUE_SIGMA,
    SEGMENT_REVENUE,
    SEGMENTS,
)
from analytics.demo.delivery import (
    AUTOMATED_COST,
    AUTOMATED_SHARE,
    CHANNEL_RESOLUTION,
    CHANNEL_WAIT_MINUTES,
    HANDLERS,
    meets_expectations,
)
from analytics.demo.files import CONTACTS_TRUTH_FILE, PERSONAS_FILE
from analytics.demo.interactions import BAD_INTERACTION_SHARE, SEGMENT_CONTACT_RATE
from analytics.demo.invitations import (
    INVITATION_MEDIUM,
    RELATIONSHIP,
)
from analytics.demo.reasons import (
    DELIVERY,
    IMPORTANCE,
    LOW_IMPACT,
    MOMENTS_OF_TRUTH,
    REASON_ATTITUDE_TILT,
    REASON_SHARE,
    REASON_STAGE,
    REASONS,
    TACTILE_WEIGHT,
)
from analytics.demo.surveys import (
    BAD_SURVEY_SHARE,
    EQUATIONS,
    RESPONSE_DELAY,
    TRANSACTIONAL_RESPONSE,
    Answers,
)
from analytics.demo.world import World
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN
from analytics.stats.units import MONTH_SECONDS


def nps_points(ltr: np.ndarray) -> float:
    """Promoters (9-10) minus detractors (0-6), in points; NaN for no answers."""
    if ltr.size == 0:
        return float("nan")
    return float(100 * (np.mean(ltr >= PROMOTER_MIN) - np.mean(ltr <= DETRACTOR_MAX)))


def population_nps(
    ltr: np.ndarray,
    channel: np.ndarray,
    live: np.ndarray,
    relationship_ltr: np.ndarray,
    relationship_at: np.ndarray,
    *,
    start_us: int,
) -> dict[str, Any]:
    """NPS of everyone invited, had they all answered: post-contact overall, by channel and by channel
    and who handled the contact (automation or a person), and relationship by wave.

    ``ltr`` is the drawn LTR of every contact, ``channel`` its index in ``CHANNELS`` (the true channel,
    before any planted bad label) and ``live`` whether a person handled it; ``relationship_ltr`` and
    ``relationship_at`` (months into the window) describe every relationship invitation.
    """

    def points(values: np.ndarray) -> float | None:  # None rather than NaN, which JSON lacks
        return round(nps_points(values), 4) if values.size else None

    def cell(mask: np.ndarray) -> dict[str, Any]:
        return {"nps": points(ltr[mask]), "invited": int(mask.sum())}

    by_channel: dict[str, Any] = {}
    by_handler: dict[str, Any] = {}
    for c, name in enumerate(CHANNELS):
        here = channel == c
        if not here.any():
            continue
        by_channel[name] = cell(here)
        by_handler[name] = {
            who: cell(here & mask) for who, mask in (("automation", ~live), ("person", live)) if (here & mask).any()
        }
    waves = []
    for at in np.unique(relationship_at):
        wave = relationship_ltr[relationship_at == at]
        sent = pd.Timestamp(start_us + int(at * MONTH_SECONDS * 1e6), unit="us", tz="UTC")
        waves.append({"sent_at": sent.isoformat(), "nps": points(wave), "invited": int(wave.size)})
    return {
        "meaning": (
            "NPS (promoters minus detractors, in points) of every invitation, as if everyone invited had "
            "answered: each contact's LTR is drawn from the same equation as the answers (equations.ltr), "
            "and those who answered are a random subset with identical values (the surveys file also "
            "holds a few planted bad LTRs of 11). Channel is the true channel of the contact; "
            "'automation' means handled by automation with no hand-over to a person."
        ),
        "post_contact": {
            "overall": cell(np.ones(ltr.size, bool)),
            "by_channel": by_channel,
            "by_channel_and_handler": by_handler,
        },
        "relationship_by_wave": waves,
    }


def planted_truth(
    *,
    customers: int,
    months: int,
    seed: int,
    revenue: np.ndarray,
    seg: np.ndarray,
    plan: np.ndarray,
    population: dict[str, Any] | None = None,
    realised: dict[str, Any] | None = None,
    always_met: str | None = None,
    delivered: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The planted parameters, each segment's expected lifetime value at neutral attitude
    (``churn.lifetime_values`` of ``revenue``, ``seg`` and ``plan``) and, when given, the hazards the
    world ran at (``HazardLedger.realised``), the NPS of the whole invited population
    (``population_nps``) and the delivery the world had (``realised_delivery``: met rates, and each
    journey stage's cost and population NPS).
    """
    clv = lifetime_values(revenue, seg, plan)
    return {
        "generator": {
            "customers": customers,
            "months": months,
            "seed": seed,
            "window_end": WINDOW_END.isoformat(),
            **({"always_met": always_met} if always_met else {}),
        },
        **_experience(),
        "churn": _churn(realised),
        "handlers": {name: vars(h) for name, h in HANDLERS.items()},
        "automation": {"cost": AUTOMATED_COST, "share_by_channel": AUTOMATED_SHARE},
        "revenue": {"median_by_segment": SEGMENT_REVENUE, "lognormal_sigma": REVENUE_SIGMA},
        "personas": _personas(),
        "lifetime_value_at_neutral_attitude": {
            "discount_monthly": DISCOUNT_MONTHLY,
            "mean_by_segment": {
                s: float(np.mean(clv[seg == i])) if np.any(seg == i) else None for i, s in enumerate(SEGMENTS)
            },
        },
        "reasons": _reasons(),
        "delivery": _delivery(delivered),
        **({"journey_stages": delivered["journey_stages"]} if delivered else {}),
        "contacts": _contacts(),
        "surveys": _surveys(),
        "population_nps": population,
        "bad_rows": {"surveys_ltr_11": BAD_SURVEY_SHARE, "interactions_channel_fax": BAD_INTERACTION_SHARE},
    }


def _experience() -> dict[str, Any]:
    """How contacts move attitude: the swing, each reason's importance and weights, the latent
    qualities and the equations of every observed score."""
    return {
        "attitude": {
            "start": ATTITUDE_START,
            "monthly_reversion": ATTITUDE_REVERSION,
            "swing": "importance[reason] * experience * swing_scale",
            "swing_scale": SWING_SCALE,
            "experience": "tactile_weight[reason] * tactile + (1 - tactile_weight[reason]) * emotive",
        },
        "importance": IMPORTANCE,
        "tactile_weight": TACTILE_WEIGHT,
        "emotive_weight": {r: round(1 - w, 10) for r, w in TACTILE_WEIGHT.items()},
        "moments_of_truth": list(MOMENTS_OF_TRUTH),
        "low_impact": list(LOW_IMPACT),
        "latent": {
            "tactile": (
                f"1.2 * (resolved - 0.7) - 0.25 * (ln(1 + wait_seconds / 60) - 1) - 0.4 * transfers"
                f" + N(0, {TACTILE_NOISE_SD})"
            ),
            "emotive": (
                "handler empathy * ramp - 0.3 * (1 - ramp) for a person (ramp is 1 except while partner_c"
                f" ramps up), -0.3 for automation; plus {EMOTIVE_FROM_OUTCOME} * (1.2 * (resolved - 0.7)"
                f" - 0.4 * transfers); plus N(0, {EMOTIVE_NOISE_SD})"
            ),
            "emotive_from_outcome": EMOTIVE_FROM_OUTCOME,
            "tactile_noise_sd": TACTILE_NOISE_SD,
            "emotive_noise_sd": EMOTIVE_NOISE_SD,
            "file": CONTACTS_TRUTH_FILE,
        },
        "equations": {name: score.to_dict() for name, score in EQUATIONS.items()},
    }


def _churn(realised: dict[str, Any] | None) -> dict[str, Any]:
    """The hazard model and left truncation, and the hazards the world ran at when ``realised`` is given."""
    return {
        "form": "monthly hazard = base_hazard[plan] * segment_hr[segment] * exp(attitude_log_hr * attitude)",
        "base_hazard": BASE_HAZARD,
        "segment_hr": SEGMENT_HR,
        "attitude_log_hr": ATTITUDE_LOG_HR,
        "attitude_hr_per_unit": math.exp(ATTITUDE_LOG_HR),
        "left_truncation": {"share_signed_up_before_window": PRE_WINDOW_SHARE, "months_before": PRE_WINDOW_MONTHS},
        **({"realised": realised} if realised is not None else {}),
    }


def _personas() -> dict[str, Any]:
    """Each persona's share by segment, plan share, channel share and contact rate."""
    return {
        "file": PERSONAS_FILE,
        "share_by_segment": {s: dict(zip(PERSONAS, v, strict=True)) for s, v in PERSONA_SHARE.items()},
        "plan_share": {p: dict(zip(PLANS, x.plan_share, strict=True)) for p, x in PERSONA_PROFILES.items()},
        "channel_share": {p: dict(zip(CHANNELS, x.channel_share, strict=True)) for p, x in PERSONA_PROFILES.items()},
        "contact_rate_multiplier": {p: x.contact_rate for p, x in PERSONA_PROFILES.items()},
    }


def _reasons() -> dict[str, Any]:
    """Each reason's share of volume and journey stage, and how attitude tilts what customers contact about."""
    return {
        "by_volume_rank": list(REASONS),
        "share": REASON_SHARE,
        "stage": REASON_STAGE,
        "attitude_tilt": {
            "form": "contact rate for the reason times exp(tilt * (attitude - attitude start))",
            "tilt": REASON_ATTITUDE_TILT,
        },
    }


def _delivery(delivered: dict[str, Any] | None) -> dict[str, Any]:
    """How a contact is delivered, in words and parameters, and the met rates the world had when
    ``delivered`` (``realised_delivery``) is given."""
    return {
        "form": {
            "automation": (
                "a contact starts in automation with probability 1 - (1 - automation.share_by_channel)"
                " ** reason automation; automation finishes the reason's containment share and hands"
                " the rest to a person with one transfer"
            ),
            "resolved": (
                "by a person: ramp * logistic(logit(handler resolution) + reason resolution + channel"
                " resolution) - 0.06 * transfers; by automation alone: always"
            ),
            "transfers": "Poisson(reason transfers + 0.3 * (1 - ramp)) for a person, plus the hand-over",
            "wait_seconds": "gamma(2, 30 * channel_wait_minutes * reason wait) * (1.6 - 0.6 * ramp)",
            "handle_seconds": "gamma(3, 20 * reason handle_minutes) for a person, gamma(2, 40) for automation",
            "cost": "handle minutes * handler cost per minute for a person, plus automation cost if automated",
        },
        "by_reason": {r: vars(d) for r, d in DELIVERY.items()},
        "channel_resolution": CHANNEL_RESOLUTION,
        **(delivered["delivery"] if delivered else {}),
    }


def _contacts() -> dict[str, Any]:
    """How often customers get in touch, and how long a person keeps them waiting."""
    return {
        "segment_contact_rate_per_month": SEGMENT_CONTACT_RATE,
        "channel_wait_minutes": {
            "form": (
                "a person's contact waits gamma(2, 30 * minutes * reason wait) seconds (mean: minutes"
                " times the reason's delivery.by_reason wait), times 1.6 - 0.6 * ramp; automation does not"
                " wait"
            ),
            "mean_by_channel": CHANNEL_WAIT_MINUTES,
        },
    }


def _surveys() -> dict[str, Any]:
    """Who is invited to a survey, how, and how many answer."""
    return {
        "transactional_response": TRANSACTIONAL_RESPONSE,
        "relationship_every_months": RELATIONSHIP.every_months,
        "relationship_response": RELATIONSHIP.response,
        "relationship_sent_months_into_wave_month": RELATIONSHIP.sent_at,
        "response_delay_months_gamma_shape_scale": list(RESPONSE_DELAY),
        "invitation_medium": {**INVITATION_MEDIUM, "relationship": RELATIONSHIP.medium},
    }


#: The journey stages planted to show each stance on satisfaction against efficiency
#: (``benchmarks.satisfaction_efficiency``), and why.
PLANTED_STANCES = {
    "both": {
        "buy": (
            "cheap and well delivered: plan changes and upgrades are mostly self-served or quick, and"
            " sales calls jump the queue (DELIVERY); and the customers who buy are the happier ones"
            " (reasons.attitude_tilt), so post-contact NPS is higher"
        )
    },
    "neither": {
        "support": (
            "costly and poorly delivered: faults, outages, cancellations and complaints take long"
            " calls and specialist transfers, automation rarely finishes them, and they are the moments"
            " of truth, so post-contact NPS is lower"
        )
    },
}


def _share(flags: np.ndarray, mask: np.ndarray) -> float | None:
    return round(float(flags[mask].mean()), 6) if mask.any() else None


def _shares(flags: np.ndarray, group: np.ndarray, groups: int) -> list[float | None]:
    """The share of ``flags`` in each of ``groups`` integer groups (None for an empty one): one
    counting pass, where a mask per group would scan 11 M contacts 90 times at the benchmark scale."""
    n = np.bincount(group, minlength=groups)
    hits = np.bincount(group, weights=flags.astype(float), minlength=groups)
    return [round(float(k / m), 6) if m else None for k, m in zip(hits, n, strict=True)]


def realised_delivery(
    reason: np.ndarray,
    channel: np.ndarray,
    met: np.ndarray,
    automated: np.ndarray,
    live: np.ndarray,
    cost: np.ndarray,
    ltr: np.ndarray,
) -> dict[str, Any]:
    """The met rates the world has and each journey stage's delivery, from the generator's own draws.

    Every contact counts, with its true channel, before any planted bad row is quarantined (one in
    2,000 contacts, so the moment map's rates differ by well under a point). ``reason`` and
    ``channel`` are positions in ``REASONS`` and ``CHANNELS``; ``met`` is ``meets_expectations``;
    ``ltr`` is every contact's drawn LTR, answered or not. Per stage: ``contacts``, ``met_rate``,
    ``automation_rate``, ``containment_rate`` (of automated contacts, the share automation finished),
    ``cost_per_contact`` and ``population_nps``, each beside the rest of the contacts (``*_rest``).
    """
    from analytics.analyses.moments import MetRule

    width = len(CHANNELS)
    pairs = _shares(met, reason * width + channel, len(REASONS) * width)
    by_pair = {r: dict(zip(CHANNELS, pairs[i * width : (i + 1) * width], strict=True)) for i, r in enumerate(REASONS)}
    stage = np.asarray([REASON_STAGE[r] for r in REASONS])[reason]
    contained = automated & ~live
    stages: dict[str, Any] = {}
    for name in sorted(set(REASON_STAGE.values())):
        here = stage == name
        row: dict[str, Any] = {"contacts": int(here.sum())}
        for mask, suffix in ((here, ""), (~here, "_rest")):
            row[f"met_rate{suffix}"] = _share(met, mask)
            row[f"automation_rate{suffix}"] = _share(automated, mask)
            row[f"containment_rate{suffix}"] = _share(contained, mask & automated)
            row[f"cost_per_contact{suffix}"] = round(float(cost[mask].mean()), 6) if mask.any() else None
            row[f"population_nps{suffix}"] = round(nps_points(ltr[mask]), 4) if mask.any() else None
        stages[name] = row
    return {
        "delivery": {
            "met_rule": MetRule().describe(),
            "met_rate": {
                "meaning": (
                    "share of contacts meeting expectations under the default met rule (moments.MetRule),"
                    " over every contact the generator drew, before quarantine"
                ),
                "overall": _share(met, np.ones(met.size, dtype=bool)),
                "by_reason": dict(zip(REASONS, _shares(met, reason, len(REASONS)), strict=True)),
                "by_channel": dict(zip(CHANNELS, _shares(met, channel, width), strict=True)),
                "by_reason_and_channel": by_pair,
                "by_journey_stage": {name: row["met_rate"] for name, row in stages.items()},
            },
            "contacts_by_reason": dict(zip(REASONS, np.bincount(reason, minlength=len(REASONS)).tolist(), strict=True)),
        },
        "journey_stages": {
            "planted": {stance: sorted(names) for stance, names in PLANTED_STANCES.items()},
            "why": {name: why for names in PLANTED_STANCES.values() for name, why in names.items()},
            "realised": stages,
        },
    }


def world_truth(world: World, answers: Answers, *, seed: int, always_met: str | None) -> dict[str, Any]:
    """The truth of ``world``, drawn with ``seed``: what was planted (``planted_truth``) and what the
    world realised from it: its hazards, the NPS of everyone invited (``answers``) and its delivery."""
    contacts, people = world.contacts, world.customers
    population = population_nps(
        answers.ltr,
        contacts.channel,
        contacts.live,
        answers.wave_ltr,
        world.waves.at,
        start_us=window_start_us(world.months),
    )
    # Judged on the stored precision of the wait (a tenth of a second), as the moment map judges it.
    meeting = meets_expectations(
        contacts.resolved, np.round(contacts.wait, 1), contacts.transfers, np.asarray(CHANNELS)[contacts.channel]
    )
    delivered = realised_delivery(
        contacts.reason, contacts.channel, meeting, contacts.automated, contacts.live, contacts.cost, answers.ltr
    )
    return planted_truth(
        customers=people.segment.size,
        months=world.months,
        seed=seed,
        revenue=people.revenue,
        seg=people.segment,
        plan=people.plan,
        population=population,
        realised=world.hazards.realised(people.segment, people.plan),
        always_met=always_met,
        delivered=delivered,
    )
