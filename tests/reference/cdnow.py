"""Published CDNOW reference numbers, with their sources.

Data: the CDNOW 1/10th sample (Fader & Hardie), ``data/cdnow_sample.csv``;
preparation of Fader, Hardie & Lee (2005): same-day purchases merged,
calibration ends 1997-09-30, holdout to 1998-06-30, weeks = days / 7.
Copied from ``shared/reference/cdnow_published.md``.
"""

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"

# Data preparation (Fader, Hardie & Lee 2005, section 4).
N_CUSTOMERS = 2357
N_ROWS = 6919
N_TRANSACTIONS_AFTER_SAME_DAY_MERGE = 6696
N_REPEAT_BUYERS = 946
REPEAT_TRANSACTIONS_CALIBRATION = 2457
REPEAT_TRANSACTIONS_HOLDOUT = 1882

# BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", table/figures;
# full-precision MLE from the reference sheet.
BGNBD_PARAMS = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}
BGNBD_PARAMS_ROUNDED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BGNBD_LL = -9582.429
CUSTOMER_1 = {"x": 2, "t_x": 30.43, "T": 38.86, "expected_39": 1.226, "p_alive": 0.7266}
UNCONDITIONAL_T = [0.1429, 1, 3, 31.8571, 32, 78]
UNCONDITIONAL_EXPECTED = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
P_X39_EQ_0 = 0.5737864  # at BGNBD_PARAMS_ROUNDED
P_X2_EQ_10 = 1.07869e-07  # at BGNBD_PARAMS_ROUNDED
HOLDOUT_SUM_CONDITIONAL = 1653.4
CUMULATIVE_WEEK78_ACTUAL = 4339
CUMULATIVE_WEEK78_FORECAST = 4160.6

# Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
GG_PARAMS = {"p": 6.24958, "q": 3.74422, "v": 15.44351}
GG_LL = -4055.918
GG_OBSERVED_MEAN_SPEND = 35.08
GG_MODEL_MEAN_SPEND = 35.17
