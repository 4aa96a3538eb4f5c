"""Published sBG and BG/BB figures (see /work/shared/reference/sbg_bgbb_published.md).

sBG: Fader & Hardie (2007), "How to project customer retention", Journal of
Interactive Marketing 21(1), table 1 (active customers at the start of each
year, two cohorts of 1,000) and the estimates fitted on years 0-7.

BG/BB: Fader, Hardie & Shang (2010), "Customer-base analysis in a
discrete-time noncontractual setting", Marketing Science 29(6), table 2 and
the estimates of section 4; the data are the 11,104 donors aggregated to 22
rows as shipped by lifetimes 0.11.3 (``lifetimes/datasets/donations.csv``).
"""

SBG_ACTIVE = {
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173],
    "high end": [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394],
}
SBG_FIT_YEARS = 7
SBG_ESTIMATES = {
    "regular": {"alpha": 0.704, "beta": 1.182, "log_likelihood": -1680.27},
    "high end": {"alpha": 0.668, "beta": 3.806, "log_likelihood": -1611.16},
}

# frequency, recency, periods, weights (lifetimes 0.11.3, datasets/donations.csv)
DONATIONS = [
    (0, 0, 6, 3464), (1, 1, 6, 1091), (1, 2, 6, 277), (1, 3, 6, 129), (1, 4, 6, 78), (1, 5, 6, 119), (1, 6, 6, 129),
    (2, 2, 6, 613), (2, 3, 6, 255), (2, 4, 6, 155), (2, 5, 6, 173), (2, 6, 6, 234), (3, 3, 6, 322), (3, 4, 6, 181),
    (3, 5, 6, 225), (3, 6, 6, 357), (4, 4, 6, 240), (4, 5, 6, 284), (4, 6, 6, 512), (5, 5, 6, 335), (5, 6, 6, 728),
    (6, 6, 6, 1203),
]
BGBB_ESTIMATES = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783, "log_likelihood": -33225.6}
