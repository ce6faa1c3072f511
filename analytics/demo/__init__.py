"""Seeded synthetic demo data with planted, documented truth, ingested through the validated path.

The demo is a contact-centre business that a CX strategist can explore, and that carries known
effects which the analyses must rediscover. Everything planted is a constant in the module of the
table it drives, and is written to ``truth.json`` next to the generated files.

How the world works
-------------------
- Every customer has a latent **attitude** (standard-normal scale, starting around +0.3). It drifts
  back towards that level by ``ATTITUDE_REVERSION`` each month.
- Each contact has a **tactile** quality (speed, resolution, transfers) and an **emotive** quality
  (empathy and courtesy of whoever handled it; being left unresolved or passed around also feels
  uncaring, ``EMOTIVE_FROM_OUTCOME``). Its **experience** is
  ``x = w_tactile[reason] * tactile + (1 - w_tactile[reason]) * emotive``: ``TACTILE_WEIGHT`` says
  what matters in that moment, and the emotive weight is the rest.
- The contact moves attitude by ``IMPORTANCE[reason] * x * SWING_SCALE``, on top of the swings of
  the customer's earlier contacts. A few reasons are true **moments of truth** with large swings
  (billing dispute, service outage, cancellation request, complaint). The highest-volume reasons
  barely move attitude (password reset, address change). Each reason's row in ``REASON_PROFILES``
  sets its volume, stage, importance, tactile weight and delivery. A customer's attitude also tilts
  what they get in touch about (``Reason.attitude_tilt``): the happier ones are likelier to change
  plan or take an upgrade.
- **Delivery** differs by reason and channel, through the contact's own outcomes (``Delivery``,
  ``CHANNEL_RESOLUTION``, ``CHANNEL_WAIT_MINUTES``): how readily automation takes a reason on and how
  much of it automation finishes, how likely a person is to resolve it on first contact (a log-odds
  shift per reason and per channel, added to the handler's: a call does better than an email or a
  social post), how often it is transferred, how long its queue is and how long a person takes.
  Routine requests (password resets, order status, plan changes) are self-served or quickly
  resolved, so they meet expectations about nine times in ten under the default
  ``moments.MetRule``; disputes, cancellations and complaints go to specialists (transfers, long
  calls) and outages arrive in surges that no call can fix, so they are met four or five times in
  ten. ``truth.json``'s ``delivery.met_rate`` records how often each reason, channel and reason x
  channel met expectations, counted by the generator over every contact it drew (before any
  planted bad row is quarantined), next to the planted parameters.
- **Journey stages** therefore differ in satisfaction and cost (``PLANTED_STANCES``): buy (plan
  changes and upgrades: self-served or quick, sales calls jump the queue, and its customers are the
  happier ones) has higher post-contact NPS and a lower cost per contact than the rest, the iconic
  "both"; support (faults, outages, cancellations, complaints: long, transferred, rarely automated
  moments of truth) is "neither". ``truth.json``'s ``journey_stages`` names them, says why, and gives
  each stage's met rate, automation, containment, cost per contact and population NPS beside the
  rest.
- Every rating is a rounded, clipped linear function of the contact's latent quantities plus normal
  noise (``EQUATIONS``). Post-contact CSAT follows experience; tactile attribute ratings (speed,
  resolution, clarity) measure the tactile quality and emotive ones (empathy, courtesy, valued) the
  emotive quality, so a driver analysis of CSAT per reason recovers ``TACTILE_WEIGHT``. Post-contact
  LTR follows attitude after the contact, plus a little of the experience itself (kept small so
  that a routine contact met or not barely shows in the rating), so how far LTR moves with
  experience is what marks a moment of truth.
- **Surveys**: every contact is followed by an invitation, answered with probability
  ``TRANSACTIONAL_RESPONSE`` (automated contacts answer less often). Every six months
  (``RELATIONSHIP``) each customer alive at that moment is invited to a relationship survey. Responses are a subset of the invitations, and every survey is dated within
  its customer's lifetime. The LTR of every invited contact is drawn, answered or not, so
  ``truth.json`` knows the NPS of the whole invited population, not only of those who replied.
- **Churn** is a proportional-hazards model with a constant monthly baseline per plan, a hazard
  ratio per segment and ``exp(ATTITUDE_LOG_HR * attitude)``:
  ``h = BASE_HAZARD[plan] * SEGMENT_HR[segment] * exp(ATTITUDE_LOG_HR * attitude)`` per month.
  Customers who signed up before the window enter it only if they survived to its start (left
  truncation).
- **Handlers** differ: partner_a is cheap and poor, partner_b is costly and good, and partner_c goes
  live halfway through with a three-month ramp-up in quality (``HANDLERS``). A handler's
  ``resolution`` is its first-contact resolution on a contact with no reason or channel shift.
- Every customer has a hidden behavioural **persona** (``PERSONA_PROFILES``): digital self-servers
  (who lean to monthly plans), phone loyalists (annual) and contract mixers (two-year), each taking
  its own plan only 60% of the time so that plan alone does not give it away, and each with its own
  channel mix and contact rate. Persona shares differ by segment. ``personas.parquet``
  beside the truth says who is who, for checking that segmentation finds them.
- **Revenue** is log-normal within segment (``SEGMENT_REVENUE``), so the top fifth of customers makes
  most of the revenue. ``truth.json`` also gives each segment's lifetime value at neutral attitude.
- ``contacts_truth.parquet`` beside the truth holds each contact's latent tactile and emotive
  quality, experience, attitude before and after, and the LTR it would have given.

Everything is vectorised numpy over customers and contacts, stepping month by month. The same seed
gives the same files byte for byte.

Where things are
----------------
One module per table, holding the constants that drive it and the steps that draw it:
``customers`` (and the personas file), ``interactions`` (and the contacts' latent truth),
``surveys``, ``invitations``, ``attributes`` and ``assessment``. Beside them: ``churn`` (the hazards),
``attitude`` (how a contact moves it), ``reasons`` (what customers get in touch about) and ``delivery``
(automation, handlers, channels and the met rule). ``world`` steps through the months
(``simulate``), ``sources`` writes the files (``generate``), ``truth`` records what was planted and
realised (``truth.json``), ``warehouse`` ingests the files through the validated path (``build``), and
``counterfactual`` knows what fixing a moment is worth. ``columns`` and ``files`` hold the window,
ids and timestamps every table shares, and the names of the files beside the warehouse.

This module is the demo's front door: it gathers the public names of those modules.
"""

from analytics.demo.assessment import ASSESSMENT
from analytics.demo.attitude import ATTITUDE_REVERSION, SWING_SCALE, TACTILE_NOISE_SD
from analytics.demo.attributes import ATTRIBUTES
from analytics.demo.churn import ATTITUDE_LOG_HR, BASE_HAZARD, SEGMENT_HR
from analytics.demo.columns import WINDOW_END
from analytics.demo.counterfactual import attitude_gain, value_of_fixing
from analytics.demo.customers import PERSONA_PROFILES, PERSONAS, PLANS, Persona
from analytics.demo.delivery import CHANNEL_RESOLUTION, CHANNEL_WAIT_MINUTES, HANDLERS, meets_expectations
from analytics.demo.files import CONTACTS_TRUTH_FILE, PERSONAS_FILE, SOURCES, TRUTH_FILE, load_personas, load_truth
from analytics.demo.interactions import SEGMENT_CONTACT_RATE
from analytics.demo.invitations import RELATIONSHIP
from analytics.demo.reasons import (
    DELIVERY,
    IMPORTANCE,
    LOW_IMPACT,
    MOMENTS_OF_TRUTH,
    REASON_ATTITUDE_TILT,
    REASON_PROFILES,
    REASON_SHARE,
    REASON_STAGE,
    REASONS,
    TACTILE_WEIGHT,
    Delivery,
    Reason,
)
from analytics.demo.sources import generate
from analytics.demo.surveys import EQUATIONS, LTR_INTERCEPT, RATING_NOISE_SD, RATINGS, TRANSACTIONAL_RESPONSE, Score
from analytics.demo.truth import nps_points, planted_truth
from analytics.demo.warehouse import build

__all__ = [
    "ASSESSMENT",
    "attitude_gain",
    "ATTITUDE_LOG_HR",
    "ATTITUDE_REVERSION",
    "ATTRIBUTES",
    "BASE_HAZARD",
    "build",
    "CHANNEL_RESOLUTION",
    "CHANNEL_WAIT_MINUTES",
    "CONTACTS_TRUTH_FILE",
    "DELIVERY",
    "Delivery",
    "EQUATIONS",
    "generate",
    "HANDLERS",
    "IMPORTANCE",
    "load_personas",
    "load_truth",
    "LOW_IMPACT",
    "LTR_INTERCEPT",
    "meets_expectations",
    "MOMENTS_OF_TRUTH",
    "nps_points",
    "Persona",
    "PERSONA_PROFILES",
    "PERSONAS",
    "PERSONAS_FILE",
    "PLANS",
    "planted_truth",
    "RATING_NOISE_SD",
    "RATINGS",
    "Reason",
    "REASON_ATTITUDE_TILT",
    "REASON_PROFILES",
    "REASON_SHARE",
    "REASON_STAGE",
    "REASONS",
    "RELATIONSHIP",
    "Score",
    "SEGMENT_CONTACT_RATE",
    "SEGMENT_HR",
    "SOURCES",
    "SWING_SCALE",
    "TACTILE_NOISE_SD",
    "TACTILE_WEIGHT",
    "TRANSACTIONAL_RESPONSE",
    "TRUTH_FILE",
    "value_of_fixing",
    "WINDOW_END",
]
