"""`rnnlab serve | grade | lessons check`: a thin command line over the catalog and the grading engine."""

from __future__ import annotations

import argparse
import logging
import math
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.catalog import Catalog, Lesson, LessonError, check_orders, load_catalog
from app.cli_admin import add_parsers as add_admin_parsers
from app.cli_worker import add_parser as add_worker_parser
from app.config import Settings
from app.course_file import CourseFileError, check_course_file
from app.database import Database
from app.health import DataDirError, check_data_dir
from app.history import History, RegradeRunning
from app.migrate import SchemaError, ensure_schema
from app.scaffold import scaffold_lesson, task_names
from app.submission_files import Refused, Submission, collect_submissions, read_submission, refused_report
from graders import GradeReport, HeldoutMode, SandboxUnavailable, Status, WorkerPool, grade
from graders.checklist import ListedCheck, lesson_checks
from graders.formats import exit_code, shorten, to_csv, to_json, to_junit
from graders.tasks.bars import percent, strongest_margin
from graders.textsafe import display_text

USAGE_ERROR = 2
SYSTEM_ERROR = 2


def _say(message: str) -> None:
    print(f"rnnlab: {display_text(message, multiline=True)}", file=sys.stderr)


def _fail(message: str) -> int:
    _say(message)
    return USAGE_ERROR


def _load(settings: Settings, only: list[str] | None = None) -> Catalog:
    return load_catalog(settings.lessons_dir, only, heldout=settings.heldout_store())


def _start_pool(settings: Settings, size: int) -> WorkerPool:
    pool = WorkerPool(settings.sandbox_config(), size=size)
    pool.start()
    return pool


def _write(target: str, text: str) -> None:
    text += "" if text.endswith("\n") else "\n"
    if target == "-":
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            sys.stdout.write(text)
        else:  # UTF-8 whatever the locale says: a learner's "é" must not turn into an encoding error
            stream.write(text.encode("utf-8"))
            stream.flush()
    else:
        Path(target).write_text(text, encoding="utf-8")


def _write_reports(args: argparse.Namespace, reports: list[GradeReport], checks: list[ListedCheck] | None = None) -> bool:
    """Each requested format on its own, so one that fails loses nothing else; False if any failed. JUnit and CSV
    use the lesson's checklist: the same tests and the same points total for every submission."""
    writers: list[tuple[str | None, str, Callable[[list[GradeReport]], str]]] = [
        (args.json, "JSON", to_json),
        (args.junit, "JUnit", lambda reports: to_junit(reports, checks=checks)),
        (args.csv, "CSV", lambda reports: to_csv(reports, checks=checks))]
    ok = True
    for target, name, render in writers:
        if target is None:
            continue
        try:
            _write(target, render(reports))
        except Exception as exc:  # noqa: BLE001 - a bug of ours in one format must not lose the others
            logging.getLogger(__name__).debug("writing the %s report failed", name, exc_info=True)
            _say(f"could not write the {name} report to {target}: {type(exc).__name__}: {exc} "
                 "(our bug or a disk problem, not the learners'); the other formats are still written")
            ok = False
    return ok


def cmd_grade(settings: Settings, args: argparse.Namespace) -> int:
    lesson_arg = Path(args.lesson)
    try:
        if lesson_arg.is_dir() and (lesson_arg / "lesson.md").exists():
            catalog = load_catalog(lesson_arg.parent, [lesson_arg.name], heldout=settings.heldout_store())
            lesson = catalog.lessons[0]
        else:
            _note_lessons_dir(settings)
            lesson = _lesson_or_fail(_load(settings, [args.lesson]), args.lesson)
        submissions = collect_submissions(args.paths)
    except (LessonError, LookupError) as exc:
        return _fail(str(exc))
    except FileNotFoundError as exc:
        return _fail(f"no such file or directory: {exc}")
    if not submissions:
        return _fail("no .py submissions found in " + ", ".join(args.paths))
    try:
        pool = _start_pool(settings, size=max(settings.pool_size, args.jobs + 1))
    except SandboxUnavailable as exc:
        return _fail(f"cannot grade: {exc}")
    progress = Progress(len(submissions), args.progress_every)

    def run(item: Submission) -> GradeReport:
        name = display_text(str(item.path))  # file names may hold escapes or undecodable bytes
        progress.start(name)
        try:
            code = read_submission(item, settings.max_code_bytes)
        except Refused as exc:
            report = refused_report(str(exc))
        else:
            report = grade(lesson.grading, code, pool, heldout=settings.heldout_store(), prepared=lesson.prepared,
                           max_code_bytes=settings.max_code_bytes)
        report.submission = name
        report.lesson = lesson.slug
        progress.finish(name, report)
        return report

    progress.begin()
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as executor:
            reports = list(executor.map(run, submissions))
    finally:
        progress.end()
        pool.close()
    print(tally(reports, progress.elapsed()), file=sys.stderr)
    # every check the lesson defines, known now that a grading ran (a function-cases lesson's come from its cases)
    checks = lesson_checks(lesson.grading, lesson.prepared) or None
    written = _write_reports(args, reports, checks)
    return exit_code(reports) if written else SYSTEM_ERROR


class Progress:
    """The terminal's view of a batch: a line per finished submission and, while gradings run, a heartbeat line
    every few seconds naming them, so a CI log never sits silent through a long training (terminal or not)."""

    def __init__(self, total: int, every: float) -> None:
        self.total, self.every = total, every
        self.done = 0
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._beat, name="rnnlab-progress", daemon=True)

    def begin(self) -> None:
        self.started = time.monotonic()
        if self.every > 0:
            self.thread.start()

    def end(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def start(self, name: str) -> None:
        with self.lock:
            self.running[name] = time.monotonic()

    def finish(self, name: str, report: GradeReport) -> None:
        with self.lock:
            seconds = time.monotonic() - self.running.pop(name, time.monotonic())
            self.done += 1
            _progress(f"[{self.done}/{self.total}] {name} … {report.status.value.replace('_', ' ')} "
                      f"{report.score:.2f} ({seconds:.1f} s) {display_text(shorten(report.summary))}")

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            now = time.monotonic()
            with self.lock:
                if not self.running:
                    continue
                names = ", ".join(f"{name} ({now - since:.0f} s)" for name, since in self.running.items())
                _progress(f"[{self.done}/{self.total}] still grading {names}")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def tally(reports: list[GradeReport], seconds: float) -> str:
    """'12 graded: 9 passed, 2 failed, 1 not gradable, 0 errors in 4m12s'."""
    count = {status: sum(1 for r in reports if r.status is status) for status in Status}
    minutes, rest = divmod(round(seconds), 60)
    took = f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"
    return (f"{len(reports)} graded: {count[Status.passed]} passed, {count[Status.failed]} failed, "
            f"{count[Status.not_gradable]} not gradable, {count[Status.error]} errors in {took}")


def _lesson_or_fail(catalog: Catalog, slug: str) -> Lesson:
    lesson = catalog.get(slug)
    if lesson is None:
        raise LookupError(f"unknown lesson {slug!r}; known: {', '.join(lesson.slug for lesson in catalog)}")
    return lesson


def reference_margin(report: GradeReport) -> str:
    """'0.312 vs 0.41 (linear): 24 % lower': how far the reference solution is ahead of the strongest baseline."""
    found = strongest_margin(report)
    if found is None:
        return "-"
    best, margin = found
    mine = report.metrics.get(f"heldout_{report.metric}", math.nan)
    if report.metric == "accuracy":
        return f"{mine:.1%} vs {best.value:.1%} ({best.id}): {margin * 100:+.1f} points"
    direction = "lower" if margin >= 0 else "HIGHER"
    return f"{mine:.4g} vs {best.value:.4g} {report.metric} ({best.id}): {percent(margin)} {direction}"


def cmd_lessons_check(settings: Settings, args: argparse.Namespace) -> int:
    """Validate every lesson, then prove its grader: the solution must pass and the starter must run and fail."""
    try:
        catalog = _load(settings, args.slugs or None)
    except LessonError as exc:
        print(f"lesson errors:\n{exc}", file=sys.stderr)
        return 1
    # the course file names lessons by slug: check it against every lesson folder, not only the ones asked for
    folders = [p.name for p in settings.lessons_dir.iterdir() if p.is_dir() and (p / "lesson.md").is_file()]
    course_problems = check_course_file(settings.lessons_dir, folders)
    if args.slugs:  # a clash with a lesson not asked for counts too (with no slugs, load_catalog refused it)
        course_problems += check_orders(settings.lessons_dir)
    for line in course_problems:
        print(line, file=sys.stderr)
    try:
        pool = _start_pool(settings, size=max(settings.pool_size, 2))
    except SandboxUnavailable as exc:
        return _fail(f"cannot grade: {exc}")
    problems = len(course_problems)
    rows = []
    try:
        for lesson in catalog:
            store = settings.heldout_store()
            solution = grade(lesson.grading, lesson.solution_path.read_text(encoding="utf-8"), pool,
                             heldout=store, prepared=lesson.prepared)
            starter = grade(lesson.grading, lesson.starter, pool, heldout=store, prepared=lesson.prepared)
            ok_solution = solution.status is Status.passed
            # A starter runs and shows the failure the lesson is about; one that cannot even be graded teaches nothing.
            ok_starter = starter.status is Status.failed and bool(starter.summary)
            problems += (not ok_solution) + (not ok_starter)
            rows.append((lesson.slug, solution, starter, ok_solution and ok_starter))
            if not ok_solution:
                print(f"{lesson.slug}: solution.py did not pass: {solution.summary}", file=sys.stderr)
            if not ok_starter:
                print(f"{lesson.slug}: starter.py must run and be graded 'failed', showing the failure the lesson "
                      f"is about (got {starter.status.value}: {starter.summary[:200]})", file=sys.stderr)
    finally:
        pool.close()
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'lesson'.ljust(width)}  solution          starter            held-out  ok   reference vs strongest baseline")
    for slug, sol, sta, ok in rows:
        print(f"{slug.ljust(width)}  {sol.status.value:<8} {sol.score:4.2f}    {sta.status.value:<12} "
              f"{sta.score:4.2f}  {sol.heldout or '-':<8}  {'yes' if ok else 'NO ':<3}  {reference_margin(sol)}")
    public = [slug for slug, sol, _, _ in rows if sol.heldout == HeldoutMode.public]
    if public:  # allowed for practice, but a learner could derive these answers from the repository
        print(f"warning: held-out data is PUBLIC (derivable from the repository) for {', '.join(public)}: supply "
              "RNNLAB_HELDOUT_DIR/<slug>.csv|.npz|.txt or a data.heldout_generator (docs/authoring.md)")
    print(f"{len(rows)} lesson(s) checked, {problems} problem(s)")
    return 1 if problems else 0


def cmd_lessons_new(settings: Settings, args: argparse.Namespace) -> int:
    try:
        folder = scaffold_lesson(settings.lessons_dir, args.slug, args.task, args.title)
    except LessonError as exc:
        return _fail(str(exc))
    print(f"created {folder}: edit lesson.md, starter.py, solution.py and grading.toml, then run "
          f"`rnnlab lessons check {args.slug}` (see docs/authoring.md)")
    return 0


def cmd_regrade(settings: Settings, args: argparse.Namespace) -> int:
    """Queue a regrade of a lesson's finished submissions; the running server grades them behind learners' work."""
    if not (settings.lessons_dir / args.lesson / "lesson.md").is_file():
        return _fail(f"no lesson called {args.lesson!r} in {settings.lessons_dir}")
    database = Database(settings.resolved_database_url())
    try:
        ensure_schema(database.engine, migrate=settings.should_migrate_on_start())
        regrade = History(database).request_regrade(args.lesson, args.requested_by)
    except (SchemaError, RegradeRunning) as exc:
        return _fail(str(exc))
    finally:
        database.close()
    print(f"regrade #{regrade.id} of {args.lesson}: {regrade.total} submission(s) queued; a running `rnnlab serve` "
          f"grades them when no learner is waiting (progress: /instructor/lessons/{args.lesson})")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from app.server import Server, header_timeout_protocol

    if args.reload:
        uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, reload=True)
        return 0
    try:
        check_data_dir(settings.data_dir)
        app = create_app(settings)
    except (LessonError, CourseFileError, SandboxUnavailable, SchemaError, DataDirError) as exc:
        return _fail(f"cannot start: {exc}")
    except (OSError, SQLAlchemyError) as exc:  # the database or a file we need: one line, not a traceback
        logging.getLogger(__name__).debug("start-up failed", exc_info=True)
        return _fail(f"cannot start: {_first_line(exc)}")
    state = app.state.rnnlab

    def stop_grading() -> None:  # at the signal itself, not after the connections have drained
        if state.queue is not None:
            state.queue.stop()

    config = uvicorn.Config(app, host=args.host, port=args.port,
                            http=header_timeout_protocol(settings.header_timeout_s))
    Server(config, on_exit=stop_grading).run()
    return 0


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy's wrapper adds the SQL and a link on more lines
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnlab", description="RNN Lab: auto-graded RNN exercises.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the grader does")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes; lessons reload per request")
    serve.set_defaults(func=cmd_serve)

    grade_p = sub.add_parser("grade", help="grade submissions (files or folders of .py files) for CI")
    grade_p.add_argument("lesson", help="lesson slug, or a path to a lesson folder")
    grade_p.add_argument("paths", nargs="+", metavar="PATH")
    grade_p.add_argument("--json", metavar="FILE", help="write the report(s) as JSON ('-' for stdout)")
    grade_p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    grade_p.add_argument("--csv", metavar="FILE", help="write one CSV row per submission")
    grade_p.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    grade_p.add_argument("--progress-every", type=float, default=10.0, metavar="SECONDS",
                         help="seconds between 'still grading' lines while a grading runs (0: none)")
    grade_p.set_defaults(func=cmd_grade)

    lessons = sub.add_parser("lessons", help="instructor tools")
    lessons_sub = lessons.add_subparsers(dest="lessons_command", required=True)
    check = lessons_sub.add_parser("check", help="validate lessons; solutions must pass, starters must not")
    check.add_argument("slugs", nargs="*")
    check.set_defaults(func=cmd_lessons_check)
    new = lessons_sub.add_parser("new", help="scaffold a complete, checkable lesson folder")
    new.add_argument("slug", help="folder name, kebab-case (never renamed later)")
    new.add_argument("--task", required=True, choices=task_names())
    new.add_argument("--title", help="lesson title (default: from the slug)")
    new.set_defaults(func=cmd_lessons_new)
    regrade = sub.add_parser("regrade", help="grade a lesson's submissions again (after the lesson or grader changed)")
    regrade.add_argument("lesson", help="lesson slug")
    regrade.add_argument("--requested-by", default="rnnlab regrade", help="who asked (shown on the dashboard)")
    regrade.set_defaults(func=cmd_regrade)
    add_admin_parsers(sub)
    add_worker_parser(sub)
    return parser


class DisplaySafeFormatter(logging.Formatter):
    """Log lines can quote learner text: the terminal shows it, never obeys it, and it cannot start a fake line."""

    def format(self, record: logging.LogRecord) -> str:
        return display_text(super().format(record), multiline=True).replace("\n", "\n    ")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, which is our usage code too
        return int(exc.code or 0)
    handler = logging.StreamHandler()
    handler.setFormatter(DisplaySafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    if getattr(args, "jobs", 1) < 1:
        return _fail("--jobs must be at least 1")
    settings = Settings()
    if args.command in ("serve", "lessons", "regrade"):
        _note_lessons_dir(settings)
    return int(args.func(settings, args))


def _note_lessons_dir(settings: Settings) -> None:
    """One line on stderr when the lessons are not the installed checkout's: nobody edits the wrong course."""
    note = settings.lessons_dir_note()
    if note:
        _say(note)


if __name__ == "__main__":
    sys.exit(main())
