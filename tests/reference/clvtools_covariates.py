"""CLVTools 0.12.1 on CDNOW with two static covariates (``big_first``, ``january``), both on both processes.

Source: ``shared/reference/clvtools_cdnow_covariates.md`` (CLVTools 0.12.1, R); the
covariate table and CLVTools' per-customer predictions are copied in
``tests/reference/clvtools/``. Calibration ends 1997-09-30, weeks; CLVTools'
``trans.X`` is ``purchase:X`` here and ``life.X`` is ``dropout:X``.
"""

from pathlib import Path

FOLDER = Path(__file__).parent / "clvtools"
COVARIATES_CSV = FOLDER / "cdnow_covariates.csv"
PNBD_PREDICTIONS_CSV = FOLDER / "cdnow_pnbd_covariates_predictions.csv"
BGNBD_PREDICTIONS_CSV = FOLDER / "cdnow_bgnbd_covariates_predictions.csv"
COLUMNS = ["big_first", "january"]
PROFILE_COUNTS = {(0, 1): 492, (1, 1): 289, (0, 0): 1021, (1, 0): 555}

PNBD_LL = -9574.805895
PNBD = {  # estimate, standard error
    "r": (0.57452645210, 0.050115780),
    "alpha": (13.66672269633, 1.281305911),
    "s": (0.60790912730, 0.189388439),
    "beta": (11.96463048431, 6.662388720),
    "purchase:big_first": (0.51743459559, 0.090037294),
    "purchase:january": (0.01499706442, 0.092047271),
    "dropout:big_first": (0.09225163072, 0.203988107),
    "dropout:january": (-0.07170085432, 0.209880307),
}

BGNBD_LL = -9564.16798069
BGNBD = {  # constrained form: one dropout coefficient per covariate on both a and b
    "r": (0.252604166697, 0.013276476),
    "alpha": (6.047969947559, 0.630010432),
    "a": (0.848257342318, 0.344606307),
    "b": (2.662181043017, 1.177845034),
    "purchase:big_first": (0.639578112173, 0.107290787),
    "purchase:january": (-0.008192421606, 0.109279303),
    "dropout:big_first": (0.085701580747, 0.451001311),
    "dropout:january": (-0.289612053692, 0.455937282),
}
