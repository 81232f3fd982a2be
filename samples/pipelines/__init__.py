"""Sample pipelines: ``simple``, ``medium``, ``streaming_append`` (and ``streaming_cdc``)."""

__all__: list[str] = []
