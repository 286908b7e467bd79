"""Batch output for CI: reports as JSON, JUnit XML and CSV, and the exit code they imply.

Every string in a report may come from a learner (file names, logs, messages), so each writer makes it
safe for its format here, at the boundary: JSON never meets a lone surrogate, the JUnit file parses for
any input, and no CSV cell is a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree as ET

from graders.checklist import ListedCheck
from graders.report import Check, GradeReport, Status
from graders.textsafe import display_text, scrub_surrogates

# A spreadsheet evaluates a cell starting with one of these (OWASP "CSV injection"), even after spaces;
# some also take the full-width forms an East Asian input method types.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
JUNIT_LOG_CHARS = 4000
SHORT_CHARS = 100  # a summary on one terminal line or in a JUnit "not reached" message
GRADING_CASE = "grading"  # the testcase every suite starts with: was the submission graded at all


def to_json(reports: list[GradeReport]) -> str:
    """One report as an object; several as {"submissions": [...]}."""
    if len(reports) == 1:
        # A lone surrogate (an odd file name, a forged message) would make the UTF-8 encoder raise.
        safe = GradeReport.model_validate(scrub_surrogates(reports[0].model_dump()))
        return safe.model_dump_json(indent=2)
    return json.dumps({"submissions": [scrub_surrogates(r.model_dump(mode="json")) for r in reports]}, indent=2)


def _attr(text: str) -> str:
    return display_text(text)


def _body(text: str) -> str:
    return display_text(text, multiline=True)


def shorten(text: str, limit: int = SHORT_CHARS) -> str:
    """text on one line, cut at a word boundary with an ellipsis when longer than limit: never mid-word. Only spaces
    and newlines are folded: any other control character stays, for display_text to show as an escape."""
    line = re.sub(r"[ \n]+", " ", text).strip(" ")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary not too far back; else one very long word is cut after all
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def listed_checks(reports: list[GradeReport]) -> list[ListedCheck]:
    """Without the lesson's checklist: every check any report has, in first-seen order (stable within one file)."""
    seen: dict[str, Check] = {}
    for report in reports:
        if report.status in (Status.passed, Status.failed):
            for check in report.checks:
                seen.setdefault(check.id, check)
    return [ListedCheck(c.id, c.title, c.max_points) for c in seen.values()]


def _not_reached(report: GradeReport) -> str:
    if report.status in (Status.not_gradable, Status.error):
        return f"not reached: {report.status.value.replace('_', ' ')}: {shorten(report.summary)}"
    return "not reached: the grader did not report this check"


def to_junit(reports: list[GradeReport], suite: str = "rnnlab", checks: list[ListedCheck] | None = None) -> str:
    """A testsuite per submission; in each, the same testcases in the same order: `grading` (was the submission
    graded at all) and one per check the lesson defines (graders.checklist). A check a submission never reached
    (a syntax error stops everything) is skipped with the reason, so every suite counts the same tests."""
    listed = checks if checks else listed_checks(reports)
    root = ET.Element("testsuites", name=_attr(suite))
    for report in reports:
        by_id = {check.id: check for check in report.checks}
        lesson = _attr(report.lesson)
        element = ET.SubElement(root, "testsuite", name=_attr(report.submission or report.lesson),
                                time=f"{report.timings.get('total', 0.0):.3f}")
        props = ET.SubElement(element, "properties")
        for key, value in (("status", report.status.value), ("score", f"{report.score:.4f}"), ("lesson", lesson)):
            ET.SubElement(props, "property", name=key, value=value)
        failures = errors = skipped = 0
        case = ET.SubElement(element, "testcase", classname=lesson, name=GRADING_CASE)
        if report.status is Status.error:
            errors += 1
            ET.SubElement(case, "error", message=_attr(shorten(report.summary))).text = _body(report.summary)
        elif report.status is Status.not_gradable:  # named by the check that stopped it, when there is one
            failures += 1
            stopped = next((c for c in report.checks if not c.passed and not c.skipped), None)
            message = stopped.title if stopped else shorten(report.summary)
            ET.SubElement(case, "failure", message=_attr(message)).text = _body(report.summary)
        for item in listed:
            case = ET.SubElement(element, "testcase", classname=lesson, name=_attr(item.id))
            check = by_id.get(item.id)
            if check is None:
                skipped += 1
                ET.SubElement(case, "skipped", message=_attr(_not_reached(report)))
            elif check.skipped:
                skipped += 1
                ET.SubElement(case, "skipped", message=_attr(check.message))
            elif not check.passed:
                failures += 1
                ET.SubElement(case, "failure", message=_attr(check.title)).text = _body(check.message)
        element.set("tests", str(1 + len(listed)))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
        element.set("skipped", str(skipped))
        ET.SubElement(element, "system-out").text = _body(report.log[-JUNIT_LOG_CHARS:])
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def csv_cell(text: str) -> str:
    """One line of display-safe text that a spreadsheet shows as text, never evaluates as a formula."""
    safe = display_text(text)  # tab and CR are escaped here, so only the visible starts remain to catch
    if safe.lstrip().startswith(FORMULA_STARTS):
        return "'" + safe
    return safe


CSV_COLUMNS = ["submission", "lesson", "status", "score", "points", "max_points", "metric", "metric_value",
               "compared_with", "compared_value", "failed_checks", "summary"]


def main_metric(report: GradeReport) -> tuple[str, str, str, str]:
    """(metric, its held-out value, the bar it was compared with, the bar's value); blanks when not measured.
    Function-cases lessons have no held-out metric: their measure is the hidden cases passed, of all cases."""
    metrics = report.metrics
    if report.metric:
        value = metrics.get(f"heldout_{report.metric}")
        bar = next((b for b in report.baselines if b.bar), None)
        bar_value = metrics.get(f"baseline_{report.metric}", bar.value if bar else None)
        return (report.metric, _number(value), bar.id if bar else "", _number(bar_value))
    if "cases" in metrics:
        return ("cases_passed", _number(metrics.get("cases_passed")), "cases", _number(metrics["cases"]))
    return ("", "", "", "")


def _number(value: float | None) -> str:
    # -1 is the report's stand-in for a non-finite error (NaN predictions): not a value to average in a sheet
    return "" if value is None or value < 0 else f"{value:.6g}"


def to_csv(reports: list[GradeReport], checks: list[ListedCheck] | None = None) -> str:
    """One row per submission. max_points comes from the lesson's checklist when given, so an ungradable file is
    out of the same total as a passing one."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in reports:
        failed = ";".join(c.id for c in r.checks if not c.passed and not c.skipped)
        points = sum(c.points for c in r.checks)
        max_points = sum(c.max_points for c in checks) if checks else sum(c.max_points for c in r.checks)
        metric, value, bar, bar_value = main_metric(r)
        writer.writerow([csv_cell(r.submission), csv_cell(r.lesson), r.status.value, f"{r.score:.4f}",
                         f"{points:g}", f"{max_points:g}", metric, value, csv_cell(bar), bar_value,
                         csv_cell(failed), csv_cell(r.summary)])
    return out.getvalue()


def exit_code(reports: list[GradeReport]) -> int:
    """0: all passed; 1: any failed or not gradable; 2: any system error."""
    if any(r.status is Status.error for r in reports):
        return 2
    return 0 if all(r.status is Status.passed for r in reports) else 1
