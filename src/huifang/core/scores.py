"""What a customer's scores mean: the one place for the CSAT and NPS thresholds.

Overall satisfaction is answered 1–5 and the likelihood to recommend 0–10 (the
ranges the feedback fields and their database constraints hold). The metrics, the
dashboard's monthly series, the management home's detractors, the survey follow-up
and the policy document all read these names; pages reach them as the template
global ``scores``. Pure: no Django, so every layer may import it.
"""

from __future__ import annotations

# CSAT: the share of answers with an overall satisfaction of 4 or 5 (the policy
# document names the two: "answers of SATISFIED_MIN or SATISFACTION_MAX").
SATISFACTION_MAX = 5
SATISFIED_MIN = 4

# NPS: % promoters (9–10) minus % detractors (0–6) of the answers to "how likely
# are you to recommend us", from −100 to 100.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6

# A survey answer gets a follow-up action at once from a detractor, or from anyone
# whose overall satisfaction is 2 or less.
UNHAPPY_SATISFACTION_MAX = 2
