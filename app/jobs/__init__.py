"""The PostgreSQL job engine (procrastinate): grading hosts claim one job per submission or regrade item."""
