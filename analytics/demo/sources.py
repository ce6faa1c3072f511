"""Generate the demo's source files and ``truth.json``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics.data import schema
from analytics.data.schema import CHANNELS
from analytics.demo.assessment import ASSESSMENT
from analytics.demo.attitude import (
    ATTITUDE_REVERSION,
    ATTITUDE_START,
    EMOTIVE_FROM_OUTCOME,
    EMOTIVE_NOISE_SD,
    SWING_SCALE,
    TACTILE_NOISE_SD,
    earlier_swings,
)
from analytics.demo.attributes import ATTRIBUTES
from analytics.demo.churn import (
    ATTITUDE_LOG_HR,
    BASE_HAZARD,
    PRE_WINDOW_MONTHS,
    PRE_WINDOW_SHARE,
    SEGMENT_HR,
    TENURE_BAND_MONTHS,
)
from analytics.demo.columns import WINDOW_END, ids, timestamps
from analytics.demo.customers import (
    PERSONA_CHANNEL_SHARE,
    PERSONA_CONTACT_RATE,
    PERSONA_SHARE,
    PERSONAS,
    PLAN_SHARE,
    PLANS,
    REGION_SHARE,
    REGIONS,
    REVENUE_SIGMA,
    SEGMENT_REVENUE,
    SEGMENT_SHARE,
    SEGMENTS,
)
from analytics.demo.delivery import CHANNELS_ARRAY, HANDLERS, deliver, meets_expectations, met_outcomes
from analytics.demo.files import CONTACTS_TRUTH_FILE, PERSONAS_FILE, TRUTH_FILE
from analytics.demo.interactions import BAD_INTERACTION_SHARE, SEGMENT_CONTACT_RATE
from analytics.demo.invitations import (
    INVITATION_MEDIUM,
    RELATIONSHIP_EVERY_MONTHS,
    RELATIONSHIP_MEDIUM,
    RELATIONSHIP_SENT_AT,
)
from analytics.demo.reasons import IMPORTANCE, REASON_SHARE, REASON_STAGE, REASONS, TACTILE_WEIGHT, draw_reasons
from analytics.demo.surveys import (
    BAD_SURVEY_SHARE,
    EQUATIONS,
    RATINGS,
    RELATIONSHIP_RESPONSE,
    RESPONSE_DELAY,
    TRANSACTIONAL_RESPONSE,
    VERBATIMS,
)
from analytics.demo.truth import planted_truth, population_nps, realised_delivery, realised_hazards
from analytics.stats.units import MONTH_SECONDS


def _pick(rng: np.random.Generator, labels: tuple[str, ...], p: Any, size: int) -> np.ndarray:
    return rng.choice(len(labels), size, p=np.asarray(p) / np.sum(p))


def generate(
    directory: Path, *, customers: int = 20_000, months: int = 36, seed: int = 7, always_met: str | None = None
) -> dict[str, Path]:
    """Write the demo source files and ``truth.json`` into ``directory``; return ``{table: file}``.

    Parameters
    ----------
    directory
        Where to write (created if needed).
    customers
        Customers in the data (signed up before or during the window and alive at its start).
    months
        Length of the observation window, which ends at ``WINDOW_END``.
    seed
        Seed for ``numpy.random.default_rng``.
    always_met
        The counterfactual world: every contact for this reason meets expectations (``met_outcomes``).
        Every random draw is made as in the real world and only that reason's outcomes are set
        after drawing, so the two worlds are the same until a customer's churn tells them apart.
    """
    if customers < 10 or months < 2:
        raise ValueError("the demo needs at least 10 customers and 2 months")
    if always_met is not None and always_met not in REASON_SHARE:
        raise ValueError(f"always_met must be a contact reason ({', '.join(REASONS)}), not {always_met!r}")
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    start_us = int((WINDOW_END.value // 1000) - months * MONTH_SECONDS * 1e6)

    # --- customers ---------------------------------------------------------------------------------
    seg = _pick(rng, SEGMENTS, SEGMENT_SHARE, customers)
    persona = np.empty(customers, dtype=np.int64)
    for s, name in enumerate(SEGMENTS):
        members = np.flatnonzero(seg == s)
        persona[members] = _pick(rng, PERSONAS, PERSONA_SHARE[name], members.size)
    plan = np.empty(customers, dtype=np.int64)
    for p, name in enumerate(PERSONAS):
        members = np.flatnonzero(persona == p)
        plan[members] = _pick(rng, PLANS, PLAN_SHARE[name], members.size)
    region = _pick(rng, REGIONS, REGION_SHARE, customers)
    revenue = np.round(
        np.array([SEGMENT_REVENUE[s] for s in SEGMENTS])[seg] * rng.lognormal(0, REVENUE_SIGMA, customers), 2
    )
    attitude = rng.normal(ATTITUDE_START, 1.0, customers)
    base_h = np.array([BASE_HAZARD[p] for p in PLANS])[plan] * np.array([SEGMENT_HR[s] for s in SEGMENTS])[seg]

    # Signup: some before the window. Those must have survived to its start (left truncation), so
    # each pre-window candidate is redrawn until it did.
    signup = rng.uniform(0, months, customers)
    pre = np.flatnonzero(rng.uniform(0, 1, customers) < PRE_WINDOW_SHARE)
    pending = pre
    while pending.size:
        signup[pending] = -rng.uniform(0, PRE_WINDOW_MONTHS, pending.size)
        hazard = base_h[pending] * np.exp(ATTITUDE_LOG_HR * attitude[pending])
        died = rng.uniform(0, 1, pending.size) > np.exp(hazard * signup[pending])
        pending = pending[died]
        attitude[pending] = rng.normal(ATTITUDE_START, 1.0, pending.size)
    churn = np.full(customers, np.nan)
    # Integrated true hazard and time at risk per customer over the window: the hazards the world
    # actually ran at, once attitude has moved (truth.json's ``churn.realised``).
    integrated = np.zeros(customers)
    at_risk = np.zeros(customers)
    bands = math.ceil((months + PRE_WINDOW_MONTHS) / TENURE_BAND_MONTHS) + 1
    cell_hazard = np.zeros((len(SEGMENTS), len(PLANS), bands))
    cell_months = np.zeros((len(SEGMENTS), len(PLANS), bands))

    # --- month by month ----------------------------------------------------------------------------
    reason_p = np.array([REASON_SHARE[r] for r in REASONS])
    importance = np.array([IMPORTANCE[r] for r in REASONS])
    w_tactile = np.array([TACTILE_WEIGHT[r] for r in REASONS])
    handler_names = tuple(HANDLERS)
    h_emp = np.array([h.empathy for h in HANDLERS.values()])
    contact_rate = (
        np.array([SEGMENT_CONTACT_RATE[s] for s in SEGMENTS])[seg]
        * np.array([PERSONA_CONTACT_RATE[p] for p in PERSONAS])[persona]
    )
    channel_cum = np.cumsum([PERSONA_CHANNEL_SHARE[p] for p in PERSONAS], axis=1)
    contacts: list[dict[str, np.ndarray]] = []
    relationship: list[dict[str, np.ndarray]] = []

    for m in range(months):
        alive = np.isnan(churn) & (signup < m + 1)
        idx = np.flatnonzero(alive)
        begin = np.maximum(signup[idx], m)
        exposure = (m + 1) - begin
        k = rng.poisson(contact_rate[idx] * exposure)
        owner = np.repeat(idx, k)
        n = owner.size
        at = np.repeat(begin, k) + rng.uniform(0, 1, n) * np.repeat(exposure, k)
        reason = draw_reasons(rng, reason_p, attitude[owner])
        cum = channel_cum[persona[owner]]
        channel = np.minimum((rng.uniform(0, 1, n)[:, None] >= cum / cum[:, -1:]).sum(axis=1), len(CHANNELS) - 1)
        c_live = (m + 0.5) / months >= HANDLERS["partner_c"].live_from_month
        shares = np.array([h.share_after if c_live else h.share_before for h in HANDLERS.values()])
        handler = rng.choice(len(handler_names), n, p=shares / shares.sum())
        ramp = np.ones(n)
        c = handler_names.index("partner_c")
        months_live = (at - HANDLERS["partner_c"].live_from_month * months) / HANDLERS["partner_c"].ramp_months
        ramp[handler == c] = np.clip(months_live[handler == c], 0.3, 1.0)
        automated, live, transfers, resolved, escalated, wait, handle, cost = deliver(
            rng, reason, channel, handler, ramp
        )
        if always_met is not None:
            fixed = reason == REASONS.index(always_met)
            met = met_outcomes(resolved, wait, transfers, np.asarray(CHANNELS)[channel])
            resolved, wait, transfers = (
                np.where(fixed, after, before) for after, before in zip(met, (resolved, wait, transfers), strict=True)
            )
            escalated = escalated & ~fixed

        tactile = (
            1.2 * (resolved - 0.7)
            - 0.25 * (np.log1p(wait / 60.0) - 1.0)
            - 0.4 * transfers
            + rng.normal(0, TACTILE_NOISE_SD, n)
        )
        # Being left unresolved or passed around also feels uncaring: part of the emotive quality
        # follows the resolution and transfer terms of the tactile one.
        bounced = 1.2 * (resolved - 0.7) - 0.4 * transfers
        emotive = (
            np.where(live, h_emp[handler] * ramp - 0.3 * (1 - ramp), -0.3)
            + EMOTIVE_FROM_OUTCOME * bounced
            + rng.normal(0, EMOTIVE_NOISE_SD, n)
        )
        experience = w_tactile[reason] * tactile + (1 - w_tactile[reason]) * emotive
        swing = importance[reason] * experience * SWING_SCALE
        # A customer's contacts in one month build on each other, in time order.
        before = attitude[owner] + earlier_swings(owner, at, swing)
        np.add.at(attitude, owner, swing)
        contacts.append(
            {
                "owner": owner, "at": at, "reason": reason, "channel": channel, "automated": automated,
                "handler": np.where(live, handler, -1), "wait": wait, "handle": handle, "transfers": transfers,
                "resolved": resolved, "escalated": escalated, "cost": cost, "tactile": tactile,
                "emotive": emotive, "experience": experience, "attitude_before": before,
                "attitude_after": before + swing, "live": live,
            }
        )  # fmt: skip

        wave = (m + 1) % RELATIONSHIP_EVERY_MONTHS == 0
        wave_attitude = attitude[idx] if wave else np.empty(0)  # fancy indexing copies: reversion won't touch it
        attitude[idx] += ATTITUDE_REVERSION * (ATTITUDE_START - attitude[idx])
        hazard = base_h[idx] * np.exp(ATTITUDE_LOG_HR * attitude[idx])
        leaves = rng.uniform(0, 1, idx.size) > np.exp(-hazard * exposure)
        integrated[idx] += hazard * exposure
        at_risk[idx] += exposure
        band = ((begin + m + 1) / 2 - signup[idx]) // TENURE_BAND_MONTHS
        where = (seg[idx], plan[idx], band.astype(np.int64))
        np.add.at(cell_hazard, where, hazard * exposure)
        np.add.at(cell_months, where, exposure)
        last = np.full(customers, -np.inf)
        np.maximum.at(last, owner, at)
        gone = idx[leaves]
        floor = np.maximum(last[gone], begin[leaves])
        churn[gone] = floor + rng.uniform(0, 1, gone.size) * ((m + 1) - floor)

        if wave:
            # Invite only customers alive when the wave goes out: signed up, and not (yet) gone.
            sent = m + RELATIONSHIP_SENT_AT
            invited = (signup[idx] <= sent) & ~(churn[idx] < sent)
            relationship.append(
                {"owner": idx[invited], "at": np.full(int(invited.sum()), sent), "attitude": wave_attitude[invited]}
            )

    # --- tables ------------------------------------------------------------------------------------
    cust = pa.table(
        {
            "customer_id": ids("C", customers),
            "signup_at": timestamps(start_us, signup),
            "churned_at": pa.array(
                np.where(np.isnan(churn), 0, start_us + churn * MONTH_SECONDS * 1e6).astype(np.int64),
                pa.timestamp("us", tz="UTC"),
                mask=np.isnan(churn),
            ),
            "segment": np.asarray(SEGMENTS)[seg],
            "region": np.asarray(REGIONS)[region],
            "plan": np.asarray(PLANS)[plan],
            "monthly_revenue": revenue,
        }
    )
    cols = {k: np.concatenate([c[k] for c in contacts]) for k in contacts[0]}
    n_int = cols["owner"].size
    customer_ids = cust.column("customer_id").combine_chunks()
    interaction_ids = ids("I", n_int)
    channel_labels = np.asarray(CHANNELS, dtype=object)[cols["channel"]]
    fax = (
        rng.choice(n_int, size=int(n_int * BAD_INTERACTION_SHARE), replace=False)
        if n_int >= 2000
        else np.array([], int)
    )
    channel_labels[fax] = "fax"
    inter = pa.table(
        {
            "interaction_id": interaction_ids,
            "customer_id": customer_ids.take(pa.array(cols["owner"])),
            "started_at": timestamps(start_us, cols["at"]),
            "channel": channel_labels.astype(str),
            "journey_stage": np.asarray([REASON_STAGE[r] for r in REASONS])[cols["reason"]],
            "contact_reason": np.asarray(REASONS)[cols["reason"]],
            "handled_by": np.where(cols["handler"] >= 0, np.asarray(handler_names)[cols["handler"]], "automation"),
            "is_automated": cols["automated"],
            "wait_seconds": np.round(cols["wait"], 1),
            "handle_seconds": np.round(cols["handle"], 1),
            "transfers": cols["transfers"].astype(np.int64),
            "is_resolved": cols["resolved"],
            "is_escalated": cols["escalated"],
            "cost": np.round(cols["cost"], 2),
        }
    )

    # Every contact is followed by an invitation and some are answered; every customer alive at a
    # relationship wave is invited and some answer. The LTR of everyone invited is drawn, so the
    # answers are a subset of a known population with identical values.
    signals = {
        "tactile": cols["tactile"],
        "emotive": cols["emotive"],
        "experience": cols["experience"],
        "attitude_after": cols["attitude_after"],
        "resolved": cols["resolved"].astype(float),
        "wait_signal": 1.0 - np.log1p(cols["wait"] / 60.0),
    }
    ltr_all = EQUATIONS["ltr"].draw(rng, signals, n_int)
    rate = np.where(cols["live"], TRANSACTIONAL_RESPONSE["live"], TRANSACTIONAL_RESPONSE["automated"])
    ans = np.flatnonzero(rng.uniform(0, 1, n_int) < rate)
    k = ans.size
    answered = {name: v[ans] for name, v in signals.items()}
    csat = EQUATIONS["csat"].draw(rng, answered, k)
    effort = EQUATIONS["effort"].draw(rng, answered, k)
    ratings = {name: EQUATIONS[name].draw(rng, answered, k) for name in RATINGS}

    rel = {
        key: np.concatenate([r[key] for r in relationship]) if relationship else np.array([])
        for key in ("owner", "at", "attitude")
    }
    rel["owner"] = rel["owner"].astype(np.int64)
    rel_invited = rel["owner"].size
    ltr_rel_all = EQUATIONS["ltr_relationship"].draw(rng, {"attitude": rel["attitude"]}, rel_invited)
    rel_ans = np.flatnonzero(rng.uniform(0, 1, rel_invited) < RELATIONSHIP_RESPONSE)
    r_n = rel_ans.size

    # Dates stay within each customer's lifetime and the window: an invitation goes out when the
    # contact ends and the answer follows after a short delay, both clipped to the customer's churn.
    end_of_life = np.fmin(churn, months - 1e-6)

    def within(t: np.ndarray, lo: np.ndarray, owner: np.ndarray) -> np.ndarray:
        return np.maximum(lo, np.minimum(t, end_of_life[owner]))

    sent_t = within(cols["at"] + cols["handle"] / MONTH_SECONDS, cols["at"], cols["owner"])
    answered_t = within(sent_t[ans] + rng.gamma(*RESPONSE_DELAY, k), sent_t[ans], cols["owner"][ans])
    rel_owner = rel["owner"][rel_ans]
    rel_sent = rel["at"][rel_ans]
    answered_r = within(rel_sent + rng.gamma(*RESPONSE_DELAY, r_n), rel_sent, rel_owner)

    sentiment = np.where(csat >= 4, 0, np.where(csat <= 2, 2, 1))
    table = np.array(
        [
            [tpl.format(r=r.replace("_", " ")) for s in ("positive", "neutral", "negative") for tpl in VERBATIMS[s]]
            for r in REASONS
        ]
    )
    pick = sentiment * 3 + rng.integers(0, 3, k)
    verbatim = table[cols["reason"][ans], pick]
    has_text = rng.uniform(0, 1, k) < 0.4

    n_surv = k + r_n
    ltr = np.concatenate([ltr_all[ans], ltr_rel_all[rel_ans]]).astype(np.int64)
    if n_surv >= 200:  # one bad row in 200 stays under the default 1% rejection limit
        ltr[rng.choice(n_surv, size=max(1, int(n_surv * BAD_SURVEY_SHARE)), replace=False)] = 11
    missing = np.full(r_n, np.nan)
    surveys = pa.table(
        {
            "survey_id": ids("S", n_surv),
            "customer_id": customer_ids.take(pa.array(np.concatenate([cols["owner"][ans], rel_owner]))),
            "interaction_id": pa.concat_arrays([interaction_ids.take(pa.array(ans)), pa.nulls(r_n, pa.string())]),
            "responded_at": timestamps(start_us, np.concatenate([answered_t, answered_r])),
            "ltr": ltr,
            "csat": pa.array(np.concatenate([csat, missing]), pa.float64(), from_pandas=True).cast(pa.int64()),
            "effort": pa.array(np.concatenate([effort, missing]), pa.float64(), from_pandas=True).cast(pa.int64()),
            **{
                f"{schema.RATING_PREFIX}{name}": pa.array(np.concatenate([v, missing]), from_pandas=True)
                for name, v in ratings.items()
            },
            "verbatim": pa.array(
                np.concatenate([np.where(has_text, verbatim, None), np.full(r_n, None)]).tolist(), pa.string()
            ),
        }
    )
    medium = np.asarray([INVITATION_MEDIUM[c] for c in CHANNELS])[cols["channel"]]
    invitations = pa.table(
        {
            "invitation_id": ids("V", n_int + rel_invited),
            "customer_id": customer_ids.take(pa.array(np.concatenate([cols["owner"], rel["owner"]]))),
            "interaction_id": pa.concat_arrays([interaction_ids, pa.nulls(rel_invited, pa.string())]),
            "sent_at": timestamps(start_us, np.concatenate([sent_t, rel["at"]])),
            "channel": np.concatenate([medium, np.full(rel_invited, RELATIONSHIP_MEDIUM)]),
        }
    )
    contacts_truth = pa.table(
        {
            "interaction_id": interaction_ids,
            "tactile": cols["tactile"],
            "emotive": cols["emotive"],
            "experience": cols["experience"],
            "attitude_before": cols["attitude_before"],
            "attitude_after": cols["attitude_after"],
            "ltr": ltr_all.astype(np.int64),
        }
    )
    population = population_nps(ltr_all, cols["channel"], cols["live"], ltr_rel_all, rel["at"], start_us=start_us)
    # Judged on the stored precision of the wait (a tenth of a second), as the moment map judges it.
    meeting = meets_expectations(
        cols["resolved"], np.round(cols["wait"], 1), cols["transfers"], CHANNELS_ARRAY[cols["channel"]]
    )
    delivered = realised_delivery(
        cols["reason"], cols["channel"], meeting, cols["automated"], cols["live"], cols["cost"], ltr_all
    )

    files = {
        "customers": directory / "customers.parquet",
        "interactions": directory / "interactions.parquet",
        "surveys": directory / "surveys.parquet",
        "attributes": directory / "attributes.csv",
        "assessment": directory / "assessment.csv",
        "invitations": directory / "invitations.parquet",
    }
    pq.write_table(cust, files["customers"])
    pq.write_table(inter, files["interactions"])
    pq.write_table(surveys, files["surveys"])
    pq.write_table(invitations, files["invitations"])
    pq.write_table(contacts_truth, directory / CONTACTS_TRUTH_FILE)
    pq.write_table(
        pa.table({"customer_id": customer_ids, "persona": np.asarray(PERSONAS)[persona]}), directory / PERSONAS_FILE
    )
    attrs = pd.DataFrame(ATTRIBUTES, columns=["attribute", "label", "kind"]).assign(scale_min=1, scale_max=5)
    pacsv.write_csv(pa.Table.from_pandas(attrs, preserve_index=False), files["attributes"])
    answers = pd.DataFrame(ASSESSMENT, columns=["question_id", "question", "answer"])
    pacsv.write_csv(pa.Table.from_pandas(answers, preserve_index=False), files["assessment"])
    (directory / TRUTH_FILE).write_text(
        json.dumps(
            planted_truth(
                customers=customers,
                months=months,
                seed=seed,
                revenue=revenue,
                seg=seg,
                plan=plan,
                population=population,
                realised=realised_hazards(seg, plan, integrated, at_risk, cell_hazard, cell_months),
                always_met=always_met,
                delivered=delivered,
            ),
            indent=2,
        )
        + "\n"
    )
    return files
