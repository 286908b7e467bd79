"""The course page in Chromium: parts, progress and concept tags on a 375 px phone and on a desktop, axe-clean."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect

from app import queue as queue_module
from app.config import REPO_ROOT, Settings
from app.course_file import load_course_file
from app.csrf import CSRF_HEADER
from app.main import create_app
from tests.app.helpers import FakeGrader
from tests.browser.helpers import ARTIFACTS, AXE, DESKTOP, horizontal_overflow, screenshot
from tests.lti.servers import bound_socket, url_of

pytestmark = [pytest.mark.browser]

LESSONS = Path(os.environ.get("RNNLAB_LESSONS_DIR") or REPO_ROOT / "lessons")  # as the other browser tests
PHONE_375 = {"width": 375, "height": 812}
PASSED, ATTEMPTED = "what-is-an-rnn", "sequence-windows"


@pytest.fixture(scope="module")
def course_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the repository's lessons, in this process (so a fake grader stands in: no sandbox, no Keras)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queue_module, "grade", FakeGrader())
        settings = Settings(lessons_dir=LESSONS, data_dir=tmp_path_factory.mktemp("course-page"), pool_size=0)
        server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
        sock = bound_socket()
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.02)
        try:
            yield url_of(sock)
        finally:
            server.should_exit = True
            thread.join(15)
            sock.close()


def submit_and_wait(page: Any, slug: str, code: str) -> None:
    """Submit through the API as the page's own learner (its cookies, its CSRF token) and wait for the grade."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    answer = page.request.post(f"/api/lessons/{slug}/submissions", data={"code": code}, headers={CSRF_HEADER: token})
    assert answer.status == 202, answer.text()
    deadline = time.monotonic() + 15
    while page.request.get(f"/api/submissions/{answer.json()['id']}").json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def serious_axe_violations(page: Any, name: str) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                               targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2))
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_the_course_page_on_a_phone_shows_parts_progress_and_concepts(browser: Any, course_url: str) -> None:
    course = load_course_file(LESSONS)
    context = browser.new_context(base_url=course_url, viewport=PHONE_375, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto("/")
    expect(page.locator(".badge").first).to_have_text("Not started")
    submit_and_wait(page, PASSED, "# PASS\n")
    submit_and_wait(page, ATTEMPTED, "# FAIL\n")
    page.reload()

    titles = [part.title for part in course.parts]
    assert page.locator(".course-part h2").all_inner_texts()[:len(titles)] == titles
    assert horizontal_overflow(page) == 0
    passed = page.locator(".lesson-card", has=page.locator(f'a[href="/lessons/{PASSED}"]'))
    expect(passed.locator(".badge")).to_have_text("Passed")
    expect(passed).to_contain_text("Best score 100%")
    attempted = page.locator(".lesson-card", has=page.locator(f'a[href="/lessons/{ATTEMPTED}"]'))
    expect(attempted.locator(".badge")).to_have_text("Attempted")
    expect(page.locator(".course-progress")).to_contain_text("You have passed 1 of")

    # objectives: folded on a phone, one tap away
    expect(passed.locator(".card-objectives-open")).to_be_hidden()
    folded = passed.locator("details.card-objectives-folded")
    expect(folded).to_be_visible()
    expect(folded.locator("li").first).to_be_hidden()
    folded.locator("summary").click()
    expect(folded.locator("li").first).to_be_visible()
    tags = passed.locator(".concept-tag")
    expect(tags.first).to_be_visible()
    assert len(tags.all_inner_texts()) == len(course.concepts[PASSED])
    assert horizontal_overflow(page) == 0
    screenshot(page, "phone-375-course", full_page=True)
    assert not problems, problems

    # axe on the same learner's page (its progress badges included), at phone width, in light and dark
    for scheme in ("light", "dark"):
        audit = browser.new_context(base_url=course_url, viewport=PHONE_375, bypass_csp=True, color_scheme=scheme)
        audit.add_cookies(context.cookies())
        checked = audit.new_page()
        checked.goto("/")
        expect(checked.locator(".badge-passed")).to_have_count(1)
        checked.locator("details.card-objectives-folded summary").first.click()
        assert serious_axe_violations(checked, f"course-phone-{scheme}") == []
        audit.close()
    context.close()


def test_the_course_page_on_a_desktop_shows_objectives_open(browser: Any, course_url: str) -> None:
    context = browser.new_context(base_url=course_url, viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    page.goto("/")
    card = page.locator(".lesson-card").first
    expect(card.locator(".card-objectives-open li").first).to_be_visible()
    expect(card.locator("details.card-objectives-folded")).to_be_hidden()
    numbers = page.locator(".lesson-number").all_inner_texts()
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]  # numbered along the path, across parts
    assert horizontal_overflow(page) == 0
    screenshot(page, "desktop-course", full_page=True)
    assert serious_axe_violations(page, "course-desktop") == []
    context.close()


def test_lesson_pages_link_along_the_path(browser: Any, course_url: str) -> None:
    course = load_course_file(LESSONS)
    first, second = course.parts[0].lessons[:2]
    context = browser.new_context(base_url=course_url, viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"/lessons/{first}")
    page.locator("a.pager-next").click()
    expect(page).to_have_url(f"{course_url}/lessons/{second}")
    context.close()
