"""Grades back to the mock LMS: one line item per lesson, a score when it changes, and no grade lost in an outage."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.lti.commands import add_lti_commands, run_lti_command
from app.lti.keys import ToolKeys
from app.lti.outbox import Outbox
from app.lti.tables import lti_line_items, lti_outbox
from tests.lti.harness import Lab, launch

LSTM = "lstm-sequence-prediction"


def learner_launched(lab: Lab, user: str = "ada", link: str = "link-lstm") -> str:
    with lab.browser() as browser:
        assert launch(lab, browser, link, user).status_code == 200
    key = lab.tool.links.account_key(lab.platform.issuer, f"user-{user}")
    assert key is not None
    return key


def test_a_changed_score_reaches_the_gradebook(lab: Lab) -> None:
    account = learner_launched(lab)
    assert lab.tool.outbox.score_changed(account, LSTM, 7.5, 10.0) == 1
    assert lab.tool.outbox.deliver_due().sent == 1
    [(lineitem, score)] = lab.platform.scores
    assert score["userId"] == "user-ada"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (7.5, 10.0)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["timestamp"].endswith("+00:00")
    [item] = lab.platform.line_items["course-1"]
    assert lineitem == item["id"]
    assert (item["resourceId"], item["label"], item["scoreMaximum"]) == (LSTM, "LSTM sequence prediction", 10.0)
    assert [e.status for e in lab.tool.outbox.entries()] == ["sent"]


def test_an_unchanged_score_is_not_posted_again(lab: Lab) -> None:
    account = learner_launched(lab)
    lab.tool.outbox.score_changed(account, LSTM, 5.0, 10.0)
    lab.tool.outbox.deliver_due()
    assert lab.tool.outbox.score_changed(account, LSTM, 5.0, 10.0) == 0
    assert lab.tool.outbox.deliver_due().sent == 0
    assert lab.tool.outbox.score_changed(account, LSTM, 9.0, 10.0) == 1
    lab.tool.outbox.deliver_due()
    assert [s["scoreGiven"] for _, s in lab.platform.scores] == [5.0, 9.0]


def test_one_line_item_per_lesson_across_launches_and_learners(lab: Lab) -> None:
    ada = learner_launched(lab, "ada")
    learner_launched(lab, "ada")
    alan = learner_launched(lab, "alan")
    for given in (3.0, 4.0):
        lab.tool.outbox.score_changed(ada, LSTM, given, 10.0)
        lab.tool.outbox.score_changed(alan, LSTM, given + 1, 10.0)
        lab.tool.outbox.deliver_due()
    assert [i["resourceId"] for i in lab.platform.line_items["course-1"]] == [LSTM]
    assert sorted((s["userId"], s["scoreGiven"]) for _, s in lab.platform.scores) == [
        ("user-ada", 3.0), ("user-ada", 4.0), ("user-alan", 4.0), ("user-alan", 5.0)]
    assert lab.platform.ags_calls.count("POST lineitems course-1") == 1


def test_a_line_item_made_before_a_restart_is_found_not_duplicated(lab: Lab) -> None:
    account = learner_launched(lab)
    lab.tool.outbox.score_changed(account, LSTM, 3.0, 10.0)
    lab.tool.outbox.deliver_due()
    # A new tool database (or a lost row) must not make a second column: the platform is asked first.
    with lab.engine.begin() as conn:
        conn.execute(update(lti_line_items).values(lineitem_url=None))
    lab.tool.outbox.score_changed(account, LSTM, 6.0, 10.0)
    lab.tool.outbox.deliver_due()
    assert len(lab.platform.line_items["course-1"]) == 1
    assert lab.platform.ags_calls.count("POST lineitems course-1") == 1


def test_the_platforms_own_column_is_used_when_the_launch_names_one(lab: Lab) -> None:
    account = learner_launched(lab, link="link-own-column")
    lab.tool.outbox.score_changed(account, "vanishing-gradients", 1.0, 1.0)
    lab.tool.outbox.deliver_due()
    [item] = lab.platform.line_items["course-2"]
    assert lab.platform.scores == [(item["id"], lab.platform.scores[0][1])]
    assert "POST lineitems course-2" not in lab.platform.ags_calls


def test_a_platform_outage_loses_no_grade(lab: Lab) -> None:
    outbox = Outbox(lab.engine, lab.tool.platforms, lab.tool.ags, now=lab.clock, first_retry_s=30, max_retry_s=600)
    account = learner_launched(lab)
    outbox.score_changed(account, LSTM, 6.0, 10.0)
    lab.platform.fail_next = 3
    delays = []
    for attempt in (1, 2, 3):
        assert outbox.deliver_due().failed == 1
        [entry] = outbox.entries()
        assert (entry.status, entry.attempts) == ("pending", attempt)
        assert entry.last_error is not None and "HTTP 503" in entry.last_error
        delays.append(round((entry.next_attempt - lab.clock()).total_seconds()))
        assert outbox.deliver_due() == outbox.deliver_due().__class__(sent=0, failed=0)  # not due yet
        lab.clock.advance(delays[-1] + 1)
    assert delays == pytest.approx([30, 60, 120], abs=2)  # exponential backoff
    assert outbox.deliver_due().sent == 1
    assert [s["scoreGiven"] for _, s in lab.platform.scores] == [6.0]
    [entry] = outbox.entries()
    assert (entry.status, entry.last_error) == ("sent", None)


def test_a_newer_score_supersedes_an_unsent_one(lab: Lab) -> None:
    outbox = Outbox(lab.engine, lab.tool.platforms, lab.tool.ags, now=lab.clock)
    account = learner_launched(lab)
    outbox.score_changed(account, LSTM, 2.0, 10.0)
    lab.platform.fail_next = 100
    outbox.deliver_due()
    outbox.score_changed(account, LSTM, 8.0, 10.0)  # the learner improved while the LMS was down
    [entry] = outbox.entries()
    assert (entry.score_given, entry.attempts) == (8.0, 0)
    lab.platform.fail_next = 0
    assert outbox.deliver_due().sent == 1
    assert [s["scoreGiven"] for _, s in lab.platform.scores] == [8.0]


def test_the_access_token_is_cached_and_the_client_assertion_verifies_against_our_jwks(lab: Lab) -> None:
    account = learner_launched(lab)
    for given in (1.0, 2.0, 3.0):
        lab.tool.outbox.score_changed(account, LSTM, given, 10.0)
        lab.tool.outbox.deliver_due()
    # One token for line items, one for scores (asked per operation), each reused until it expires.
    assert lab.tool.ags.tokens_fetched == 2
    assert lab.platform.token_requests == 2
    assert lab.platform.refused_assertions == []


def test_an_assertion_signed_with_a_key_we_do_not_publish_is_refused_by_the_platform(lab: Lab) -> None:
    account = learner_launched(lab)
    lab.tool.ags.keys = ToolKeys(lab.tool.keys.folder.parent / "stranger")  # a key missing from /lti/jwks.json
    lab.tool.outbox.score_changed(account, LSTM, 1.0, 10.0)
    assert lab.tool.outbox.deliver_due().failed == 1
    assert lab.platform.refused_assertions
    assert "HTTP 401" in (lab.tool.outbox.entries()[0].last_error or "")
    assert lab.platform.scores == []


def test_a_rotated_key_signs_and_the_old_one_stays_published(lab: Lab) -> None:
    account = learner_launched(lab)
    old = lab.tool.keys.signing.kid
    new = lab.tool.keys.rotate().kid
    assert [k["kid"] for k in lab.tool.keys.jwks()["keys"]] == [new, old]
    lab.tool.outbox.score_changed(account, LSTM, 1.0, 10.0)
    assert lab.tool.outbox.deliver_due().sent == 1


def test_a_score_for_a_lesson_never_launched_through_lti_queues_nothing(lab: Lab) -> None:
    account = learner_launched(lab)
    assert lab.tool.outbox.score_changed(account, "vanishing-gradients", 1.0, 1.0) == 0
    assert lab.tool.outbox.score_changed("local-account", LSTM, 1.0, 1.0) == 0


def test_staff_launches_take_no_grade_back(lab: Lab) -> None:
    grace = learner_launched(lab, "grace")
    assert lab.tool.outbox.score_changed(grace, LSTM, 1.0, 1.0) == 0


def test_the_outbox_command_shows_what_waits_and_why(lab: Lab) -> None:
    account = learner_launched(lab)
    lab.tool.outbox.score_changed(account, LSTM, 4.0, 10.0)
    lab.platform.fail_next = 1
    lab.tool.outbox.deliver_due()
    parser = argparse.ArgumentParser()
    add_lti_commands(parser.add_subparsers())
    said: list[str] = []
    assert run_lti_command(parser.parse_args(["lti", "outbox"]), engine=lab.engine, data_dir=Path("."),
                           tool_url=None, say=said.append) == 0
    [line] = said
    assert line.startswith("pending ") and "user-ada lstm-sequence-prediction 4/10 attempts=1" in line
    assert "HTTP 503" in line


def test_grade_sync_only_posts_to_the_links_column_with_a_score_only_token(lab: Lab) -> None:
    account = learner_launched(lab, link="link-sync-only")
    assert lab.tool.outbox.score_changed(account, LSTM, 0.5, 1.0) == 1
    assert lab.tool.outbox.deliver_due().sent == 1
    [item] = lab.platform.line_items["course-3"]
    assert [(url, s["scoreGiven"]) for url, s in lab.platform.scores] == [(item["id"], 0.5)]
    assert not any(call.startswith(("GET lineitems", "POST lineitems")) for call in lab.platform.ags_calls)


def test_two_web_processes_post_each_score_once(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every web process runs the outbox dispatcher. Two read the same due entry; the first takes it and posts; the
    second, still holding the entry it read, cannot take it and posts nothing: the platform sees the score once."""
    account = learner_launched(lab)
    lab.tool.outbox.score_changed(account, LSTM, 6.0, 10.0)
    first = lab.tool.outbox
    other = Outbox(first.engine, first.platforms, first.ags, now=first.now)
    seen = []

    def after_the_first_posted(row: object) -> bool:
        seen.append(first.deliver_due())  # `other` has read the entry as due; `first` takes and posts it now
        return Outbox._lease(other, row)

    monkeypatch.setattr(other, "_lease", after_the_first_posted)
    assert other.deliver_due().sent == 0
    assert [(d.sent, d.failed) for d in seen] == [(1, 0)]
    assert [s["scoreGiven"] for _, s in lab.platform.scores] == [6.0]
    assert [e.status for e in first.entries()] == ["sent"]


def test_an_entry_whose_process_died_mid_post_is_retried_after_its_lease(lab: Lab) -> None:
    account = learner_launched(lab)
    lab.tool.outbox.score_changed(account, LSTM, 4.0, 10.0)
    clock = [lab.tool.outbox.now()]
    dying = Outbox(lab.tool.outbox.engine, lab.tool.outbox.platforms, lab.tool.outbox.ags, now=lambda: clock[0],
                   lease_s=60)
    with dying.engine.connect() as conn:
        [row] = conn.execute(select(lti_outbox)).all()
    assert dying._lease(row)  # took it, then "died" before posting
    assert dying.deliver_due().sent == 0  # leased: nobody posts it meanwhile
    clock[0] += timedelta(seconds=61)
    assert dying.deliver_due().sent == 1
    assert [s["scoreGiven"] for _, s in lab.platform.scores] == [4.0]
