"""Batch output for CI: reports as JSON, JUnit XML and CSV, and the exit code they imply.

Every string in a report may come from a learner (file names, logs, messages), so each writer makes it
safe for its format here, at the boundary: JSON never meets a lone surrogate, the JUnit file parses for
any input, and no CSV cell is a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

from graders.report import GradeReport, Status
from graders.textsafe import display_text, scrub_surrogates

# A spreadsheet evaluates a cell starting with one of these (OWASP "CSV injection"), even after spaces;
# some also take the full-width forms an East Asian input method types.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
JUNIT_LOG_CHARS = 4000


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


def to_junit(reports: list[GradeReport], suite: str = "rnnlab") -> str:
    """A testsuite per submission, a testcase per check: CI dashboards show which check failed for whom."""
    root = ET.Element("testsuites", name=_attr(suite))
    for report in reports:
        checks = report.checks
        lesson = _attr(report.lesson)
        failures = sum(1 for c in checks if not c.passed and not c.skipped)
        element = ET.SubElement(
            root, "testsuite", name=_attr(report.submission or report.lesson), tests=str(max(len(checks), 1)),
            failures=str(failures), errors="1" if report.status is Status.error else "0",
            skipped=str(sum(1 for c in checks if c.skipped)), time=f"{report.timings.get('total', 0.0):.3f}",
        )
        props = ET.SubElement(element, "properties")
        for key, value in (("status", report.status.value), ("score", f"{report.score:.4f}"), ("lesson", lesson)):
            ET.SubElement(props, "property", name=key, value=value)
        if report.status is Status.error:
            case = ET.SubElement(element, "testcase", classname=lesson, name="grading")
            ET.SubElement(case, "error", message=_attr(report.summary)).text = _body(report.summary)
        for check in checks:
            case = ET.SubElement(element, "testcase", classname=lesson, name=_attr(check.id))
            if check.skipped:
                ET.SubElement(case, "skipped", message=_attr(check.message))
            elif not check.passed:
                ET.SubElement(case, "failure", message=_attr(check.title)).text = _body(check.message)
        ET.SubElement(element, "system-out").text = _body(report.log[-JUNIT_LOG_CHARS:])
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def csv_cell(text: str) -> str:
    """One line of display-safe text that a spreadsheet shows as text, never evaluates as a formula."""
    safe = display_text(text)  # tab and CR are escaped here, so only the visible starts remain to catch
    if safe.lstrip().startswith(FORMULA_STARTS):
        return "'" + safe
    return safe


def to_csv(reports: list[GradeReport]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "lesson", "status", "score", "failed_checks", "summary"])
    for r in reports:
        failed = ";".join(c.id for c in r.checks if not c.passed and not c.skipped)
        writer.writerow([csv_cell(r.submission), csv_cell(r.lesson), r.status.value, f"{r.score:.4f}",
                         csv_cell(failed), csv_cell(r.summary)])
    return out.getvalue()


def exit_code(reports: list[GradeReport]) -> int:
    """0: all passed; 1: any failed or not gradable; 2: any system error."""
    if any(r.status is Status.error for r in reports):
        return 2
    return 0 if all(r.status is Status.passed for r in reports) else 1
