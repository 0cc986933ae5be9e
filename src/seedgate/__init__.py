"""seedgate: a multi-seed statistical regression gate for ML training."""

__version__ = "0.1.0"
