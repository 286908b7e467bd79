"""Alembic migrations of the RNN Lab schema (run them with `rnnlab db upgrade`; app/migrate.py drives them)."""
