"""The assessment table: the company's answers to the iconic-firm self-assessment."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

ASSESSMENT = (
    ("omnichannel", "Customer context is carried across channels", "yes"),
    ("channel_mix", "We have the right mix of live and automated channels", "partly"),
    ("ai_for_satisfaction", "We use AI to some degree to increase customer satisfaction", "yes"),
    ("partner_standard", "We hold partners to a common CX standard", "partly"),
    ("partner_integration", "Our CX systems are integrated with partners", "no"),
    ("csr_brand", "Corporate social responsibility is among the most important parts of brand value", "no"),
    ("satisfaction_first", "Our CX strategy is driven by satisfaction rather than efficiency", "partly"),
    # What comes first at each of the survey's journey stages: satisfaction, efficiency or both equally.
    ("stance_discovery", "At discovery, our CX strategy puts first", "balanced"),
    ("stance_purchase", "At purchase, our CX strategy puts first", "efficiency"),
    ("stance_delivery", "At delivery, our CX strategy puts first", "satisfaction"),
    ("stance_customer_service", "At customer service, our CX strategy puts first", "satisfaction"),
)


def assessment_table() -> pa.Table:
    """The assessment table: ``question_id``, ``question``, ``answer``."""
    answers = pd.DataFrame(ASSESSMENT, columns=["question_id", "question", "answer"])
    return pa.Table.from_pandas(answers, preserve_index=False)
