"""Net Promoter Score arithmetic: who counts as a promoter or a detractor on the 0-10 scale."""

#: Answers of 9 or 10 to "how likely are you to recommend us" are promoters (Reichheld, 2003).
PROMOTER_MIN = 9
#: Answers from 0 to 6 are detractors; 7 and 8 are passives.
DETRACTOR_MAX = 6
