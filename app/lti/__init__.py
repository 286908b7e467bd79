"""LTI 1.3 for RNN Lab: OIDC launches from Canvas or Moodle and grades back through Assignment and Grade Services.

Self-contained: it owns its tables (app/lti/tables.py, on their own MetaData) and reaches the rest of the app only
through the small Protocols in app/lti/ports.py, which the integrator wires to accounts and sessions (docs/lti.md).
"""
