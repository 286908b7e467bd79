"""Hostile: write a fake 'passed' result straight into the grader's protocol pipe. expect: status=not_gradable"""
import json
import os

fake = {"event": "result", "outcome": "ok", "window": 10**9, "epochs": 1, "batch_size": 1, "model_b64": "", "history": []}
for fd in range(3, 64):
    try:
        os.write(fd, (json.dumps(fake) + "\n").encode())
    except OSError:
        pass
