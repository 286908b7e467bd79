"""The instructor dashboard in Chromium: a class of a dozen learners seeded into the database of a server of its own
(no grading runs), sorting and filtering by links and a GET form, the pages axe-clean, the matrix on a phone, a
regrade started from the form. Screenshot: test-artifacts/dashboard.png (docs/img/dashboard.png with
RNNLAB_UPDATE_DOCS_IMG=1)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import expect
from sqlalchemy import update

from app.accounts import Accounts, Role
from app.config import REPO_ROOT
from app.database import Database
from app.history import History
from app.migrate import upgrade
from app.store import Store, SubmissionStatus
from app.tables import SubmissionRow
from tests.app.instructor_helpers import report
from tests.browser.conftest import CHROMIUM, _free_port
from tests.browser.helpers import ARTIFACTS, AXE, DESKTOP, PHONE, horizontal_overflow, screenshot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TEACHER = "teacher@example.org"
LESSONS = ["what-is-an-rnn", "sequence-windows", "lstm-sequence-prediction", "gru-vs-lstm", "vanishing-gradients",
           "stacked-and-bidirectional", "text-generation", "many-to-one-gestures", "rnns-in-practice"]
NAMES = ["ada.lovelace", "alan.turing", "grace.hopper", "katherine.johnson", "claude.shannon", "barbara.liskov",
         "edsger.dijkstra", "frances.allen", "john.mccarthy", "margaret.hamilton", "donald.knuth"]
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COURSE_TOML = """title = "RNNs, autumn 2026"
timezone = "Europe/Berlin"
counts = "best"
[deadlines]
what-is-an-rnn = 2026-11-09T23:59:00
sequence-windows = 2026-11-16T23:59:00
lstm-sequence-prediction = 2026-11-23T23:59:00
gru-vs-lstm = 2026-11-30T23:59:00
[late]
penalty_per_day = 0.1
last_accepted = 7
grace_minutes = 15
"""


@dataclass(frozen=True)
class SeededClass:
    base_url: str
    learner_id: int  # ada's
    submission_id: int  # one of ada's, failed, with a regrade after it


def seed(database_url: str) -> tuple[int, int]:
    """A dozen learners (eleven accounts and one anonymous browser) with a few attempts each on the first lessons."""
    database = Database(database_url)
    upgrade(database.engine)
    store = Store(database)
    accounts = Accounts(database, store, hasher=CHEAP)
    accounts.create(TEACHER, PASSWORD, Role.instructor)
    learners = [accounts.create(f"{name}@example.org", PASSWORD, Role.learner).learner_id for name in NAMES]
    learners.append(store.create_learner())  # an anonymous browser that submitted
    rng = random.Random(9)
    first_of_ada = 0
    for n, learner in enumerate(learners):
        reach = rng.randint(1, 6) if n else 5  # how far into the course this learner got
        for index, lesson in enumerate(LESSONS[:reach]):
            for attempt in range(rng.randint(1, 3)):
                status = rng.choices(["passed", "failed", "not_gradable"], [5, 3, 1])[0]
                score = {"passed": 1.0, "failed": rng.choice([0.4, 0.6, 0.8]), "not_gradable": 0.0}[status]
                failed = () if status != "failed" else rng.sample(["beats_baseline", "uses_lstm", "shapes"], 1)
                sub = store.add_submission(learner, lesson, f"# {NAMES[n % len(NAMES)]}, attempt {attempt + 1}\n"
                                                            "import keras\n\nWINDOW = 24\n")
                store.finish(sub.id, SubmissionStatus(status), score, report(status, score, tuple(failed)),
                             grader_version="0.1.0+seeded", lesson_version="seeded")
                when = START + timedelta(days=7 * index + rng.uniform(0, 9), hours=attempt)
                with database.session() as session:
                    session.execute(update(SubmissionRow).where(SubmissionRow.id == sub.id).values(created=when))
                if n == 0 and lesson == "lstm-sequence-prediction" and not first_of_ada:
                    first_of_ada = sub.id
    history = History(database)  # a finished regrade of one lesson: each of its submissions has two reports
    history.request_regrade("sequence-windows", TEACHER)
    while (item := history.claim_regrade_item()) is not None:
        status = item.submission.status
        history.finish_regrade_item(item, status, item.submission.score or 0.0, item.submission.report or {},
                                    grader_version="0.1.0+regraded", lesson_version="seeded-2")
    database.close()
    return learners[0], first_of_ada


@pytest.fixture(scope="module")
def seeded_class(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededClass]:
    """Its own `rnnlab serve` on a copy of the lessons with a course file, over a seeded database, no warm workers."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    root = tmp_path_factory.mktemp("dashboard")
    lessons, data = root / "lessons", root / "data"
    shutil.copytree(REPO_ROOT / "lessons", lessons, ignore=shutil.ignore_patterns("__pycache__"))
    (lessons / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    data.mkdir()
    url = f"sqlite:///{data / 'rnnlab.sqlite3'}"
    learner_id, submission_id = seed(url)
    port = _free_port()
    # Every seeded code is longer than 16 bytes, so a regrade grades each one "not gradable: too large" at once,
    # without a sandbox: the real queue, history and progress run, and no model trains on the shared machine.
    env = {**os.environ, "RNNLAB_DATA_DIR": str(data), "RNNLAB_LESSONS_DIR": str(lessons), "RNNLAB_POOL_SIZE": "0",
           "RNNLAB_DATABASE_URL": url, "RNNLAB_MAX_CODE_BYTES": "16"}
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("rnnlab")), "serve", "--port", str(port)],
                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not start:\n{(data / 'server.log').read_text()[-3000:]}")
        time.sleep(0.3)
    yield SeededClass(base, learner_id, submission_id)
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.copy(data / "server.log", ARTIFACTS / "dashboard-server.log")


def log_in(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(TEACHER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


@pytest.fixture
def teacher_page(browser: Any, seeded_class: SeededClass) -> Iterator[Any]:
    """new_page(viewport=..., **options) signed in as the instructor; no console errors by the end."""
    contexts: list[tuple[Any, list[str]]] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        context = browser.new_context(base_url=seeded_class.base_url, viewport=viewport or DESKTOP, **options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        contexts.append((context, problems))
        log_in(page)
        return page

    yield make
    for context, problems in contexts:
        context.close()
        assert not problems, problems


def test_the_dashboard_with_a_dozen_learners(teacher_page: Any) -> None:
    page = teacher_page()
    page.goto("/instructor")
    rows = page.locator("table.matrix tbody tr")
    expect(rows).to_have_count(12)
    expect(page.get_by_role("region", name="Learners × lessons")).to_be_visible()
    assert "Anonymous learner" in page.locator("table.matrix").inner_text()
    path = screenshot(page, "dashboard", full_page=True)
    if os.environ.get("RNNLAB_UPDATE_DOCS_IMG"):
        shutil.copy(path, REPO_ROOT / "docs" / "img" / "dashboard.png")

    page.get_by_role("link", name="Total", exact=True).click()  # sorting is a link: descending by total first
    expect(page.locator('th[aria-sort="descending"] a')).to_have_text("Total")
    page.get_by_role("link", name="Total", exact=True).click()
    expect(page.locator('th[aria-sort="ascending"] a')).to_have_text("Total")
    page.get_by_role("searchbox", name="Learner").fill("grace")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    assert "grace.hopper@example.org" in rows.inner_text() and "sort=total" in page.url  # the sort is kept
    rows.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("grace.hopper@example.org")


def test_learner_submission_and_lesson_pages(teacher_page: Any, seeded_class: SeededClass) -> None:
    page = teacher_page()
    page.goto(f"/instructor/learners/{seeded_class.learner_id}")
    page.get_by_role("link", name=f"#{seeded_class.submission_id}").click()
    expect(page.get_by_role("heading", name="Code")).to_be_visible()
    expect(page.locator("pre.code-view")).to_contain_text("WINDOW = 24")
    expect(page.get_by_role("heading", name="Timings")).to_be_visible()
    page.goto("/instructor/lessons/sequence-windows")
    expect(page.locator("#regrade-status")).to_contain_text("finished")
    screenshot(page, "dashboard-lesson", full_page=True)


def test_a_regrade_is_started_from_the_lesson_page(teacher_page: Any) -> None:
    page = teacher_page()
    page.goto("/instructor/lessons/rnns-in-practice")  # nobody got this far: nothing to grade
    page.get_by_role("button", name="Regrade all submissions").click()
    expect(page.locator("#regrade-status")).to_contain_text("0 of 0 done, finished")


@pytest.mark.parametrize("path", ["/instructor", "/instructor/learners/{learner}", "/instructor/submissions/{sub}",
                                  "/instructor/lessons/sequence-windows"])
def test_every_dashboard_page_has_no_serious_axe_violations(browser: Any, seeded_class: SeededClass,
                                                            path: str) -> None:
    url = path.format(learner=seeded_class.learner_id, sub=seeded_class.submission_id)
    context = browser.new_context(base_url=seeded_class.base_url, viewport=DESKTOP, bypass_csp=True)
    try:
        page = context.new_page()
        log_in(page)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
    finally:
        context.close()
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []


def test_the_matrix_scrolls_inside_its_region_on_a_phone(teacher_page: Any) -> None:
    page = teacher_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/instructor")
    assert horizontal_overflow(page) == 0  # the page itself never scrolls sideways
    region = page.locator(".matrix-wrap")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # the matrix does, inside its region
    assert region.get_attribute("tabindex") == "0"  # so a keyboard can scroll it
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.matrix-wrap').scrollLeft > 0")
    screenshot(page, "phone-dashboard")
    for path in ("/instructor/lessons/lstm-sequence-prediction", "/instructor/learners/2"):
        page.goto(path)
        assert horizontal_overflow(page) == 0, path


def test_a_learner_sees_deadlines_and_the_late_flag_and_the_pages_stay_axe_clean(browser: Any,
                                                                                seeded_class: SeededClass) -> None:
    context = browser.new_context(base_url=seeded_class.base_url, viewport=DESKTOP, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill("ada.lovelace@example.org")  # her sequence-windows pass was a day late
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        expect(page.get_by_role("link", name="Gradebook")).to_have_count(0)  # a learner has no dashboard link
        card = page.locator(".lesson-card", has=page.get_by_role("link", name="Preparing sequences for an RNN"))
        expect(card).to_contain_text("Due Mon 16 Nov 2026, 23:59 CET")
        expect(card.locator(".badge-late")).to_have_text("Late")
        expect(card).to_contain_text("Best score 90%")  # 100% minus one day's 10%
        for path in ("/", "/lessons/sequence-windows"):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' '))}))""")
            assert [v for v in violations if v["impact"] in ("serious", "critical")] == [], path
        expect(page.locator("#deadline")).to_contain_text("Late: 1 day")
        screenshot(page, "lesson-late")
    finally:
        context.close()


def test_a_regrade_runs_through_the_servers_queue_and_keeps_the_old_reports(teacher_page: Any,
                                                                           seeded_class: SeededClass) -> None:
    """Last in this module: it changes the grades of one lesson (each regraded submission is 'too large')."""
    page = teacher_page()
    page.goto("/instructor/lessons/lstm-sequence-prediction")
    page.get_by_role("button", name="Regrade all submissions").click()
    status = page.locator("#regrade-status")
    expect(status).to_contain_text("finished", timeout=30_000)  # regrade.js polls and reloads while it runs
    total = int(status.inner_text().split(" of ")[1].split(" ")[0])
    assert total > 0 and f"{total} of {total} done" in status.inner_text()
    page.goto(f"/instructor/submissions/{seeded_class.submission_id}")
    history = page.locator("table", has=page.get_by_text("Every grading of this submission"))
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").nth(1)).to_contain_text("regrade #")
    expect(history.locator("tbody tr").nth(0)).to_contain_text("0.1.0+seeded")
