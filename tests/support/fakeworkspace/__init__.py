"""A fake Databricks workspace on 127.0.0.1, for driving the real databricks-sdk in tests."""

from tests.support.fakeworkspace.server import FakeWorkspace, Fault, LoggedRequest

__all__ = ["FakeWorkspace", "Fault", "LoggedRequest"]
