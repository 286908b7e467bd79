"""Batch output for CI: reports as JSON, JUnit XML and CSV, and the exit code they imply."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

from graders.report import GradeReport, Status


def to_json(reports: list[GradeReport]) -> str:
    """One report as an object; several as {"submissions": [...]}."""
    if len(reports) == 1:
        return reports[0].model_dump_json(indent=2)
    return json.dumps({"submissions": [r.model_dump(mode="json") for r in reports]}, indent=2)


def to_junit(reports: list[GradeReport], suite: str = "rnnlab") -> str:
    """A testsuite per submission, a testcase per check: CI dashboards show which check failed for whom."""
    root = ET.Element("testsuites", name=suite)
    for report in reports:
        checks = report.checks
        failures = sum(1 for c in checks if not c.passed and not c.skipped)
        element = ET.SubElement(
            root, "testsuite", name=report.submission or report.lesson, tests=str(max(len(checks), 1)),
            failures=str(failures), errors="1" if report.status is Status.error else "0",
            skipped=str(sum(1 for c in checks if c.skipped)), time=f"{report.timings.get('total', 0.0):.3f}",
        )
        props = ET.SubElement(element, "properties")
        for key, value in (("status", report.status.value), ("score", f"{report.score:.4f}"),
                           ("lesson", report.lesson)):
            ET.SubElement(props, "property", name=key, value=value)
        if report.status is Status.error:
            case = ET.SubElement(element, "testcase", classname=report.lesson, name="grading")
            ET.SubElement(case, "error", message=report.summary).text = report.summary
        for check in checks:
            case = ET.SubElement(element, "testcase", classname=report.lesson, name=check.id)
            if check.skipped:
                ET.SubElement(case, "skipped", message=check.message)
            elif not check.passed:
                ET.SubElement(case, "failure", message=check.title).text = check.message
        ET.SubElement(element, "system-out").text = report.log[-4000:]
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def to_csv(reports: list[GradeReport]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "lesson", "status", "score", "failed_checks", "summary"])
    for r in reports:
        failed = ";".join(c.id for c in r.checks if not c.passed and not c.skipped)
        writer.writerow([r.submission, r.lesson, r.status.value, f"{r.score:.4f}", failed, r.summary])
    return out.getvalue()


def exit_code(reports: list[GradeReport]) -> int:
    """0: all passed; 1: any failed or not gradable; 2: any system error."""
    if any(r.status is Status.error for r in reports):
        return 2
    return 0 if all(r.status is Status.passed for r in reports) else 1
