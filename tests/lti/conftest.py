"""Fixtures for the LTI tests (the harness itself lives in tests/lti/harness.py)."""

from tests.lti.harness import lab

__all__ = ["lab"]
