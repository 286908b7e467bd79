"""One file per schema revision, oldest first: 0001 is the schema before Alembic, created by create_all."""
