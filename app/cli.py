"""`rnnlab serve | grade | lessons check`: a thin command line over the catalog and the grading engine."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.catalog import Catalog, Lesson, LessonError, load_catalog
from app.config import Settings
from app.scaffold import scaffold_lesson, task_names
from graders import Failure, GradeReport, SandboxUnavailable, Status, WorkerPool, grade
from graders.formats import exit_code, to_csv, to_json, to_junit

USAGE_ERROR = 2


def _fail(message: str) -> int:
    print(f"rnnlab: {message}", file=sys.stderr)
    return USAGE_ERROR


def _load(settings: Settings, only: list[str] | None = None) -> Catalog:
    return load_catalog(settings.lessons_dir, only)


def _start_pool(settings: Settings, size: int) -> WorkerPool:
    pool = WorkerPool(settings.sandbox_config(), size=size)
    pool.start()
    return pool


def collect_submissions(paths: list[str]) -> list[Path]:
    """Files as given; directories expand to the .py files inside them (sorted, recursively)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.py") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(raw)
    return found


def _write(target: str | None, text: str) -> None:
    if target is None:
        return
    if target == "-":
        sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))
    else:
        Path(target).write_text(text, encoding="utf-8")


def cmd_grade(settings: Settings, args: argparse.Namespace) -> int:
    lesson_arg = Path(args.lesson)
    try:
        if lesson_arg.is_dir() and (lesson_arg / "lesson.md").exists():
            catalog = load_catalog(lesson_arg.parent, [lesson_arg.name])
            lesson = catalog.lessons[0]
        else:
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
    total = len(submissions)
    done = 0
    lock = threading.Lock()

    def run(path: Path) -> GradeReport:
        nonlocal done
        started = time.monotonic()
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report = GradeReport.not_gradable(Failure.import_error, f"Could not read the submission: {exc}")
        else:
            report = grade(lesson.grading, code, pool, heldout_dir=settings.heldout_dir)
        report.submission = str(path)
        report.lesson = lesson.slug
        with lock:
            done += 1
            print(f"[{done}/{total}] {path}: {report.status.value} score={report.score:.2f} "
                  f"({time.monotonic() - started:.1f} s) {report.summary[:100]}", file=sys.stderr)
        return report

    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as executor:
            reports = list(executor.map(run, submissions))
    finally:
        pool.close()
    _write(args.json, to_json(reports))
    _write(args.junit, to_junit(reports))
    _write(args.csv, to_csv(reports))
    return exit_code(reports)


def _lesson_or_fail(catalog: Catalog, slug: str) -> Lesson:
    lesson = catalog.get(slug)
    if lesson is None:
        raise LookupError(f"unknown lesson {slug!r}; known: {', '.join(lesson.slug for lesson in catalog)}")
    return lesson


def cmd_lessons_check(settings: Settings, args: argparse.Namespace) -> int:
    """Validate every lesson, then prove its grader: the solution must pass and the starter must not."""
    try:
        catalog = _load(settings, args.slugs or None)
    except LessonError as exc:
        print(f"lesson errors:\n{exc}", file=sys.stderr)
        return 1
    try:
        pool = _start_pool(settings, size=max(settings.pool_size, 2))
    except SandboxUnavailable as exc:
        return _fail(f"cannot grade: {exc}")
    problems = 0
    rows = []
    try:
        for lesson in catalog:
            solution = grade(lesson.grading, lesson.solution_path.read_text(encoding="utf-8"), pool,
                             heldout_dir=settings.heldout_dir)
            starter = grade(lesson.grading, lesson.starter, pool, heldout_dir=settings.heldout_dir)
            ok_solution = solution.status is Status.passed
            ok_starter = starter.status in (Status.failed, Status.not_gradable) and bool(starter.summary)
            problems += (not ok_solution) + (not ok_starter)
            rows.append((lesson.slug, solution, starter, ok_solution and ok_starter))
            if not ok_solution:
                print(f"{lesson.slug}: solution.py did not pass: {solution.summary}", file=sys.stderr)
            if not ok_starter:
                print(f"{lesson.slug}: starter.py must not pass (got {starter.status.value})", file=sys.stderr)
    finally:
        pool.close()
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'lesson'.ljust(width)}  solution          starter            ok")
    for slug, sol, sta, ok in rows:
        print(f"{slug.ljust(width)}  {sol.status.value:<8} {sol.score:4.2f}    {sta.status.value:<12} "
              f"{sta.score:4.2f}  {'yes' if ok else 'NO'}")
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


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    if args.reload:
        uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, reload=True)
        return 0
    try:
        app = create_app(settings)
    except (LessonError, SandboxUnavailable) as exc:
        return _fail(f"cannot start: {exc}")
    uvicorn.run(app, host=args.host, port=args.port)
    return 0


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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, which is our usage code too
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "jobs", 1) < 1:
        return _fail("--jobs must be at least 1")
    settings = Settings()
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
