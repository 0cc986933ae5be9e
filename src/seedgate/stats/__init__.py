"""Pure statistics: summaries, the rank test, the sequential design, planning, outliers.

Nothing here does I/O. scipy is imported lazily inside functions so that importing
``seedgate.stats`` stays cheap for ``seedgate --help``.
"""

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]  # the one array type of the statistics (and the benchmarks)
