"""Customer attitude and how a contact moves it: its latent tactile and emotive quality."""

from __future__ import annotations

import numpy as np

ATTITUDE_START = 0.3
ATTITUDE_REVERSION = 0.03
SWING_SCALE = 0.35

#: Noise in a contact's latent qualities: ``tactile`` and ``emotive`` each get N(0, sd).
TACTILE_NOISE_SD = 0.3
EMOTIVE_NOISE_SD = 0.6

#: How much of the emotive quality follows whether the contact was resolved and how often it was
#: transferred (``bounced`` in ``generate``).
EMOTIVE_FROM_OUTCOME = 0.5


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
