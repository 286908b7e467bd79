# Shared preamble pasted into every hostile submission by the test (submissions are single files).
import errno as _errno


def attempt(name, action):
    """Print one line the test reads back: the attack either SUCCEEDED or was blocked."""
    try:
        result = action()
    except Exception as exc:  # noqa: BLE001
        code = getattr(exc, "errno", None)
        print(f"ATTACK {name}: blocked ({_errno.errorcode.get(code, type(exc).__name__)})", flush=True)
        return None
    print(f"ATTACK {name}: SUCCEEDED {str(result)[:80]!r}", flush=True)
    return result
