"""pytest support for dltflow pipelines (loaded as the ``dltflow`` pytest plugin)."""

__all__: list[str] = []
