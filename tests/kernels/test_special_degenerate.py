"""SciPy's 2F1 in its degenerate case (``c - a - b`` an integer, ``z > 1/2``), against mpmath.

The reference values were computed with mpmath 1.3 at 40 digits
(``mpmath.hyp2f1`` at the same double-precision arguments). SciPy 1.x returns
finite values that are 7% to eight orders of magnitude off at these points.
"""

import numpy as np
import pytest

from clv.kernels.special import hyp2f1

MPMATH = [
    ((10.0, 70.0, 85.0, 0.907), 3098866.3154299540328),
    ((29.41718845783674, 78.66844305361836, 109.0856315114551, 0.917686468828282), 74469659604420536.394),
    ((26.0023834401922, 70.99749961166209, 98.9998830518543, 0.9112423285454667), 258306015965044.2676),
    ((25.860531692694373, 66.98560936077868, 91.84614105347305, 0.9053546124032156), 477031138813460.70538),
    ((-0.11094648938406738, 74.31252750085748, 69.20158101147342, 0.9717292681630239), -0.011734931183766679322),
]


@pytest.mark.parametrize(("args", "expected"), MPMATH)
def test_degenerate_points_match_mpmath(args: tuple[float, float, float, float], expected: float) -> None:
    assert float(hyp2f1(*args)) == pytest.approx(expected, rel=1e-12)


def test_degenerate_points_vectorised_with_ordinary_ones() -> None:
    args = np.array([a for a, _ in MPMATH] + [(1.5, 2.25, 7.1, 0.3)]).T
    values = hyp2f1(*args)
    assert np.allclose(values[:-1], [e for _, e in MPMATH], rtol=1e-12, atol=0)
    assert np.isfinite(values).all()
