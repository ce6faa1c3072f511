"""Customer attitude, and how a contact moves it: the contact's latent tactile and emotive quality make
its experience, and its reason's importance turns that into a swing of attitude."""

from __future__ import annotations

import numpy as np

from analytics.demo.reasons import IMPORTANCE, REASONS, TACTILE_WEIGHT

ATTITUDE_START = 0.3
ATTITUDE_REVERSION = 0.03
SWING_SCALE = 0.35

#: Noise in a contact's latent qualities: ``tactile`` and ``emotive`` each get N(0, sd).
TACTILE_NOISE_SD = 0.3
EMOTIVE_NOISE_SD = 0.6

#: How much of the emotive quality follows whether the contact was resolved and how often it was
#: transferred (``bounced`` in ``draw_quality``).
EMOTIVE_FROM_OUTCOME = 0.5


def draw_quality(
    rng: np.random.Generator,
    resolved: np.ndarray,
    wait: np.ndarray,
    transfers: np.ndarray,
    live: np.ndarray,
    empathy: np.ndarray,
    ramp: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each contact's latent ``tactile`` and ``emotive`` quality, from its outcomes and, for a person,
    the handler's ``empathy`` (``ramp`` below 1 while a partner ramps up); automation feels -0.3."""
    n = resolved.size
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
        np.where(live, empathy * ramp - 0.3 * (1 - ramp), -0.3)
        + EMOTIVE_FROM_OUTCOME * bounced
        + rng.normal(0, EMOTIVE_NOISE_SD, n)
    )
    return tactile, emotive


def experience_of(reason: np.ndarray, tactile: np.ndarray, emotive: np.ndarray) -> np.ndarray:
    """``TACTILE_WEIGHT[reason] * tactile + (1 - TACTILE_WEIGHT[reason]) * emotive``."""
    w_tactile = np.array([TACTILE_WEIGHT[r] for r in REASONS])
    return w_tactile[reason] * tactile + (1 - w_tactile[reason]) * emotive


def swing_of(reason: np.ndarray, experience: np.ndarray) -> np.ndarray:
    """How far each contact moves attitude: ``IMPORTANCE[reason] * experience * SWING_SCALE``."""
    importance = np.array([IMPORTANCE[r] for r in REASONS])
    return importance[reason] * experience * SWING_SCALE


def earlier_swings(owner: np.ndarray, at: np.ndarray, swing: np.ndarray) -> np.ndarray:
    """For each contact, the sum of the swings of the same owner's earlier contacts (by time)."""
    order = np.lexsort((at, owner))
    s = swing[order]
    running = np.cumsum(s) - s  # swings strictly before, across all owners
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    group = np.cumsum(first) - 1
    out = np.empty_like(swing)
    out[order] = running - running[np.flatnonzero(first)][group]
    return out


def move(attitude: np.ndarray, owner: np.ndarray, at: np.ndarray, swing: np.ndarray) -> np.ndarray:
    """Add each contact's ``swing`` to its owner's ``attitude`` (in place) and return the attitude
    each contact started from: a customer's contacts in one month build on each other, in time order."""
    before = attitude[owner] + earlier_swings(owner, at, swing)
    np.add.at(attitude, owner, swing)
    return before


def revert(attitude: np.ndarray, alive: np.ndarray) -> None:
    """A month passes: the ``alive`` customers' attitude drifts ``ATTITUDE_REVERSION`` of the way back
    to ``ATTITUDE_START`` (in place)."""
    attitude[alive] += ATTITUDE_REVERSION * (ATTITUDE_START - attitude[alive])
