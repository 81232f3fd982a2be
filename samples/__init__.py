"""Runnable dltflow samples; each pipeline has a config in ``conf/`` and a deployment
file in ``workflows/``, and ``tests/test_samples.py`` runs them all."""

__all__: list[str] = []
