"""dltflow: Delta Live Tables pipelines as ordinary, testable Python classes."""

__version__ = "0.2.0"
