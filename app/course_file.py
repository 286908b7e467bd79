"""The course file: lessons/course.toml (title, timezone, deadlines, late policy, which submission counts, the path
through the lessons and the concepts each practises), validated.

Parsed once, here; the gradebook reads the typed `CourseFile`, never the TOML. No web framework here."""

from __future__ import annotations

import difflib
import enum
import re
import tomllib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from app.course_path import ConceptList, Part, Section, arrange, path_problems

COURSE_FILE = "course.toml"
DEFAULT_TITLE = "RNN Lab"
EXAMPLE_DATETIME = "2027-01-15T23:59"
END_OF_DAY = time(23, 59, 59)  # a deadline given as a bare date means "by the end of that day"
BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# TOML 1.0 (Python's tomllib) needs seconds in an unquoted time: 2027-01-15T23:59 is a syntax error there.
UNQUOTED_TIME_WITHOUT_SECONDS = re.compile(r"=\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?![:\d])")


class CourseFileError(Exception):
    """lessons/course.toml is wrong: the message names the file and the field. A lesson error (level 2)."""


class Counts(enum.StrEnum):
    """Which of a learner's submissions to a lesson counts."""

    best = "best"  # the highest score after the late penalty
    last = "last"  # the last graded submission, even if an earlier one scored more


def parse_when(value: object) -> datetime:
    """A TOML date-time, a TOML date (the end of that day) or an ISO 8601 string -> a datetime (naive = course time)."""
    if isinstance(value, datetime):
        return _plausible(value)
    if isinstance(value, date):
        return _plausible(datetime.combine(value, END_OF_DAY))
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            # a bare date ("2027-01-15") parses as midnight; it means the end of that day, like a TOML date
            return _plausible(datetime.combine(parsed.date(), END_OF_DAY) if BARE_DATE.fullmatch(text) else parsed)
    raise PydanticCustomError(
        "date_time", "{text} is not a date-time (use {example})", {"text": _show(value), "example": EXAMPLE_DATETIME})


def _plausible(moment: datetime) -> datetime:
    """Years outside 2000-2100 are typos (and would overflow when days are added to them)."""
    if not 2000 <= moment.year <= 2100:
        raise PydanticCustomError("date_range", "{text}: the year {year} is out of range (2000 to 2100)",
                                  {"text": repr(moment.isoformat(timespec="minutes")), "year": moment.year})
    return moment


def _show(value: object) -> str:
    text = repr(value.isoformat()) if isinstance(value, time) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _last_accepted(value: object) -> object:
    """A number of whole days after each lesson's due date, or one date-time for every lesson."""
    if value is None:
        return None
    if isinstance(value, bool):  # TOML `true` is not a number of days
        raise PydanticCustomError("last_accepted", "{text} is neither a number of days nor a date-time (use 7 or {example})",
                                  {"text": repr(value), "example": EXAMPLE_DATETIME})
    if isinstance(value, int):
        if not 0 <= value <= 366:
            raise PydanticCustomError("last_accepted", "{days} days: use 0 to 366 days after the due date", {"days": value})
        return value
    if isinstance(value, float):
        raise PydanticCustomError("last_accepted", "{text}: use a whole number of days", {"text": repr(value)})
    return parse_when(value)


When = Annotated[datetime, BeforeValidator(parse_when)]


class LatePolicy(BaseModel):
    """[late]: what happens to a submission after its lesson's due date."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    penalty_per_day: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Subtracted from the score (0 to 1) for each started day late; the counted score never drops below 0.")
    last_accepted: Annotated[int | datetime | None, BeforeValidator(_last_accepted)] = Field(
        None, description="Whole days after each due date, or one date-time: later submissions are kept but never count.")
    grace_minutes: int = Field(
        0, ge=0, le=1440, description="A submission this many minutes after a deadline still counts as on time.")


class CourseFile(BaseModel):
    """lessons/course.toml: course-wide settings beside the lesson folders. Every field is optional."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    title: str = Field(DEFAULT_TITLE, min_length=1, max_length=200, description="The course's name.")
    timezone: str = Field("UTC", description="IANA time zone (e.g. Europe/Berlin); deadlines without an offset are in it.")
    deadlines: dict[str, When] = Field(default_factory=dict, description="Lesson slug -> due date-time.")
    late: LatePolicy = Field(default_factory=LatePolicy, description="The late policy.")
    counts: Counts = Field(Counts.best, strict=False, description="Which submission counts: 'best' or 'last'.")
    parts: list[Part] = Field(default_factory=list, description="The course page's parts: title, summary, lessons.")
    concepts: dict[str, ConceptList] = Field(
        default_factory=dict, description="Lesson slug -> the seed concepts a graded check of it practises.")
    explained: dict[str, ConceptList] = Field(
        default_factory=dict, description="Lesson slug -> seed concepts its page explains that no graded check practises.")

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "the title is blank")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "time_zone", "{text} is not an IANA time zone (use e.g. UTC, Europe/Berlin, America/New_York)",
                {"text": repr(value)}) from None
        return value

    @field_validator("deadlines", "concepts", "explained")
    @classmethod
    def _slug_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for slug in value:
            if not SLUG.match(slug):
                raise PydanticCustomError("slug", "{slug} is not a lesson slug (a lesson's folder name, e.g. gru-vs-lstm)",
                                          {"slug": repr(slug)})
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def localize(self, moment: datetime) -> datetime:
        """A naive date-time from the file is wall-clock time in the course's zone; an aware one keeps its offset."""
        return moment.replace(tzinfo=self.zone) if moment.tzinfo is None else moment

    def due(self, slug: str) -> datetime | None:
        """When the lesson is due (aware), or None: no deadline, nothing is ever late."""
        moment = self.deadlines.get(slug)
        return None if moment is None else self.localize(moment)

    def sections(self, slugs: list[str]) -> list[Section]:
        """The lessons (slugs in catalog order) grouped by part, for the course page."""
        return arrange(self.parts, slugs)


DEFAULT_COURSE = CourseFile()


def describe_errors(path: Path, err: ValidationError) -> list[str]:
    """'lessons/course.toml: late.penalty_per_day: Input should be ...': one line per problem."""
    lines = []
    for problem in err.errors():
        where = ".".join(str(p) for p in problem["loc"] if not str(p).startswith("function-")) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            allowed = (LatePolicy.model_fields if where.startswith("late.") else
                       Part.model_fields if where.startswith("parts.") else CourseFile.model_fields)
            message += f" (allowed: {', '.join(allowed)})"
        lines.append(f"{path}: {where}: {message}")
    return lines


def _wall_clock_problem(moment: datetime, zone: ZoneInfo) -> str | None:
    """Naive times that a DST change skips or repeats are refused: the instructor must say which instant they mean."""
    if moment.tzinfo is not None:
        return None
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    shown = moment.isoformat(timespec="minutes")
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != moment:
        return f"{shown} does not exist in {zone.key} (the clocks skip it); pick another time or add an offset"
    return f"{shown} happens twice in {zone.key} (the clocks go back); add an offset, e.g. {first.isoformat()}"


def find_problems(course: CourseFile, slugs: Iterable[str] | None, path: Path) -> list[str]:
    """What the schema cannot see: deadlines for lessons that do not exist, DST-ambiguous times, a cut-off too early,
    and the path's own problems (course_path.path_problems)."""
    problems = []
    known = None if slugs is None else sorted(set(slugs))
    for slug, moment in course.deadlines.items():
        if known is not None and slug not in known:
            close = difflib.get_close_matches(slug, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "lessons: " + ", ".join(known)
            problems.append(f"{path}: deadlines.{slug}: no lesson folder is called {slug!r} ({hint})")
        if (wall := _wall_clock_problem(moment, course.zone)) is not None:
            problems.append(f"{path}: deadlines.{slug}: {wall}")
    cutoff = course.late.last_accepted
    if isinstance(cutoff, datetime):
        if (wall := _wall_clock_problem(cutoff, course.zone)) is not None:
            problems.append(f"{path}: late.last_accepted: {wall}")
        last = course.localize(cutoff)
        for slug in course.deadlines:
            due = course.due(slug)
            if due is not None and last < due:
                problems.append(f"{path}: late.last_accepted: {cutoff.isoformat(timespec='minutes')} is before the "
                                f"deadline of {slug} ({course.deadlines[slug].isoformat(timespec='minutes')})")
    return problems + path_problems(course.parts, course.concepts, course.explained, known, path)


def parse_course_file(text: str, path: Path, slugs: Iterable[str] | None = None) -> CourseFile:
    """The text of a course file -> CourseFile; CourseFileError lists every problem, each with the file and field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = ""
        if UNQUOTED_TIME_WITHOUT_SECONDS.search(text):
            hint = f' (TOML times need seconds: write {EXAMPLE_DATETIME}:00, or quote it: "{EXAMPLE_DATETIME}")'
        raise CourseFileError(f"{path}: not valid TOML: {exc}{hint}") from None
    try:
        course = CourseFile.model_validate(raw)
    except ValidationError as exc:
        raise CourseFileError("\n".join(describe_errors(path, exc))) from None
    problems = find_problems(course, slugs, path)
    if problems:
        raise CourseFileError("\n".join(problems))
    return course


def load_course_file(lessons_dir: Path, slugs: Iterable[str] | None = None) -> CourseFile:
    """lessons_dir/course.toml, validated (against the lesson slugs, when given); the default course if it is absent."""
    path = lessons_dir / COURSE_FILE
    if not path.exists():
        return DEFAULT_COURSE
    if not path.is_file():
        raise CourseFileError(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CourseFileError(f"{path}: not UTF-8 text") from None
    return parse_course_file(text, path, slugs)


def check_course_file(lessons_dir: Path, slugs: Iterable[str]) -> list[str]:
    """For `rnnlab lessons check`: the course file's problems, one line each (none when it is fine or absent)."""
    try:
        load_course_file(lessons_dir, slugs)
    except CourseFileError as exc:
        return str(exc).splitlines()
    return []


def days_between(start: datetime, moment: datetime, zone: tzinfo) -> int:
    """Started days from start to moment, counted on the course's wall clock (a DST day of 23 or 25 hours is one day).

    0 when moment <= start; 1 up to the same wall-clock time on the next calendar day; and so on."""
    # compared in UTC: two datetimes sharing one tzinfo compare (and subtract) by wall clock, ignoring DST
    start_utc, moment_utc = start.astimezone(UTC), moment.astimezone(UTC)
    if moment_utc <= start_utc:
        return 0
    days = max((moment_utc - start_utc).days - 1, 0)
    while add_days(start, days, zone).astimezone(UTC) < moment_utc:
        days += 1
    return days


def add_days(start: datetime, days: int, zone: tzinfo) -> datetime:
    """The same wall-clock time `days` calendar days later in the course's zone (not days × 24 hours)."""
    local = start.astimezone(zone)
    return (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)


def describe(course: CourseFile) -> dict[str, Any]:
    """The file's settings as plain data (for a settings page or --json output), times in ISO 8601 with offsets."""
    return {
        "title": course.title, "timezone": course.timezone, "counts": course.counts.value,
        "deadlines": {slug: due.isoformat() for slug in course.deadlines if (due := course.due(slug)) is not None},
        "late": {"penalty_per_day": course.late.penalty_per_day, "grace_minutes": course.late.grace_minutes,
                 "last_accepted": (course.localize(course.late.last_accepted).isoformat()
                                   if isinstance(course.late.last_accepted, datetime) else course.late.last_accepted)},
        "parts": [part.model_dump() for part in course.parts],
        "concepts": course.concepts, "explained": course.explained,
    }
