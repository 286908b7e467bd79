"""The instructor's JSON API (/api/instructor/...): the dashboard's data, one typed schema each; instructors only.

The HTML pages (app/routes/instructor.py) read the same functions, so a page and its JSON never disagree."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from app.accounts import Role
from app.classlist import ClassList
from app.dashboard import LearnerGrades, MatrixQuery, class_grades, select_page, summaries
from app.history import History, RegradeRunning
from app.instructor_schemas import (
    GradebookPublic,
    LearnerDetailPublic,
    LearnerPublic,
    LessonColumnPublic,
    LessonGradePublic,
    LessonSummaryPublic,
    RegradePublic,
    SubmissionDetailPublic,
)
from app.queue import SubmissionQueue
from app.routes.csrf import verify_csrf
from app.routes.deps import AppState, Instructor, Queue, State, require_role
from app.schemas import ErrorPublic, SubmissionSummary

GUARD = [Depends(require_role(Role.instructor))]
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorPublic} for code in (401, 403, 404, 422)}
router = APIRouter(prefix="/api/instructor", tags=["instructor"], dependencies=GUARD, responses=ERRORS)
LearnerId = Annotated[int, Path(ge=1, le=2**62, description="A learner id.")]
SubmissionId = Annotated[int, Path(ge=1, le=2**62, description="A submission id.")]
Slug = Annotated[str, Path(max_length=100)]


# -- what the pages and the JSON share
def class_rows(state: AppState) -> list[LearnerGrades]:
    classlist = ClassList(state.store.database)
    return class_grades(classlist.learners(), classlist.attempts(), state.course.course_file, state.course.slugs)


def lesson_columns(state: AppState) -> list[LessonColumnPublic]:
    return [LessonColumnPublic(slug=lesson.slug, title=lesson.meta.title,
                               due=deadline.due if (deadline := state.course.deadline(lesson.slug)) else None)
            for lesson in state.course.catalog]


def lesson_summaries(state: AppState, rows: list[LearnerGrades]) -> list[LessonSummaryPublic]:
    found = summaries(rows, state.course.slugs)
    regrades = History(state.store.database).latest_regrades()
    return [LessonSummaryPublic.from_summary(found[c.slug], c.title, c.due, regrades.get(c.slug))
            for c in lesson_columns(state)]


def gradebook_page(state: AppState, query: MatrixQuery) -> GradebookPublic:
    return GradebookPublic.from_page(select_page(class_rows(state), query), lesson_columns(state))


def known_lesson(state: AppState, slug: str) -> LessonColumnPublic:
    column = next((c for c in lesson_columns(state) if c.slug == slug), None)
    if column is None:
        raise HTTPException(404, f"There is no lesson called {slug!r}.")
    return column


def learner_detail(state: AppState, learner_id: int) -> LearnerDetailPublic:
    classlist = ClassList(state.store.database)
    learner = classlist.learner(learner_id)
    if learner is None:
        raise HTTPException(404, f"There is no learner {learner_id} in this class.")
    grades = state.course.grades(classlist.attempts(learner_id).get(learner_id, {}))
    row = LearnerGrades(learner, grades)
    submissions = [SubmissionSummary.from_submission(s) for s in reversed(state.store.all_submissions(learner_id))]
    return LearnerDetailPublic(learner=LearnerPublic.from_learner(learner), total=row.total,
                               grades=[LessonGradePublic.from_grade(g) for g in grades.values()],
                               submissions=submissions)


def submission_detail(state: AppState, submission_id: int) -> SubmissionDetailPublic:
    submission = state.store.get_submission(submission_id)
    learner = ClassList(state.store.database).learner(submission.learner_id) if submission else None
    if submission is None or learner is None:  # a staff account's own tries are not the class's
        raise HTTPException(404, f"There is no submission {submission_id} in this class.")
    return SubmissionDetailPublic.from_submission(submission, learner,
                                                  History(state.store.database).gradings(submission_id))


def start_regrade(state: AppState, queue: SubmissionQueue, slug: str, requested_by: str) -> RegradePublic:
    known_lesson(state, slug)
    try:
        return RegradePublic.from_regrade(queue.request_regrade(slug, requested_by))
    except RegradeRunning as exc:
        raise HTTPException(409, str(exc)) from None


# -- routes
@router.get("/gradebook", response_model=GradebookPublic)
def gradebook(state: State, query: Annotated[MatrixQuery, Query()]) -> GradebookPublic:
    """One page of the learners × lessons matrix: counted score, status, attempts, last submission and late flag."""
    return gradebook_page(state, query)


@router.get("/lessons", response_model=list[LessonSummaryPublic])
def lessons(state: State) -> list[LessonSummaryPublic]:
    """Every lesson across the class: pass rate, median attempts, commonest failures and failed checks."""
    return lesson_summaries(state, class_rows(state))


@router.get("/lessons/{slug}", response_model=LessonSummaryPublic)
def lesson(state: State, slug: Slug) -> LessonSummaryPublic:
    known_lesson(state, slug)
    return next(s for s in lesson_summaries(state, class_rows(state)) if s.lesson == slug)


@router.get("/learners/{learner_id}", response_model=LearnerDetailPublic)
def learner(state: State, learner_id: LearnerId) -> LearnerDetailPublic:
    return learner_detail(state, learner_id)


@router.get("/submissions/{submission_id}", response_model=SubmissionDetailPublic)
def submission(state: State, submission_id: SubmissionId) -> SubmissionDetailPublic:
    """The code, the latest full report (graders/report.py's GradeReport), timings and every earlier grading."""
    return submission_detail(state, submission_id)


@router.post("/lessons/{slug}/regrade", status_code=202, response_model=RegradePublic,
             dependencies=[Depends(verify_csrf)], responses={409: {"model": ErrorPublic}})
def regrade(state: State, queue: Queue, user: Instructor, slug: Slug) -> RegradePublic:
    """Grade every finished submission of the lesson again with the current lesson and grader, behind learners'
    submissions. Earlier reports are kept. 409 while the lesson's previous regrade is still running."""
    return start_regrade(state, queue, slug, user.email)


@router.get("/regrades/{regrade_id}", response_model=RegradePublic)
def regrade_progress(state: State, regrade_id: Annotated[int, Path(ge=1, le=2**62)]) -> RegradePublic:
    found = History(state.store.database).regrade(regrade_id)
    if found is None:
        raise HTTPException(404, f"There is no regrade {regrade_id}.")
    return RegradePublic.from_regrade(found)
