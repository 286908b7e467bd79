"""Every setting is documented in the README, under its environment variable name."""

from pathlib import Path

from app.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [name for name in Settings.model_fields if f"`RNNLAB_{name.upper()}`" not in README]
    assert missing == []


def test_every_setting_has_a_description() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_unknown_rnnlab_variables_do_not_crash_but_typos_in_values_do(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RNNLAB_POOL_SIZE", "3")
    assert Settings().pool_size == 3
    monkeypatch.setenv("RNNLAB_SANDBOX_MODE", "docker")
    try:
        Settings()
    except ValueError as exc:
        assert "sandbox_mode" in str(exc)
    else:
        raise AssertionError("an invalid sandbox mode must be refused")


def test_concurrency_and_warm_workers_follow_the_machine_unless_set(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from app.config import grading_slots

    for name in ("RNNLAB_CONCURRENT_JOBS", "RNNLAB_POOL_SIZE", "RNNLAB_WORKER_JOBS", "RNNLAB_CPUS_PER_JOB"):
        monkeypatch.delenv(name, raising=False)
    cores = len(os.sched_getaffinity(0))
    assert 1 <= grading_slots(1) <= cores and grading_slots(cores + 1) == 1
    settings = Settings()
    assert settings.concurrent_jobs == settings.worker_jobs == settings.pool_size == grading_slots(1)
    monkeypatch.setenv("RNNLAB_CONCURRENT_JOBS", "1")
    assert (Settings().concurrent_jobs, Settings().pool_size) == (1, 1)
    monkeypatch.setenv("RNNLAB_POOL_SIZE", "0")
    assert (Settings().concurrent_jobs, Settings().pool_size) == (1, 0)
    monkeypatch.setenv("RNNLAB_CPUS_PER_JOB", str(cores + 1))
    assert Settings().worker_jobs == 1
