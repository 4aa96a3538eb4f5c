"""Bundled data sets (``clv.datasets.load_cdnow()``)."""

from clv.data.datasets import data_path, load_cdnow, load_donations

__all__ = ["data_path", "load_cdnow", "load_donations"]
