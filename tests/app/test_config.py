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
