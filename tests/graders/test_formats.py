"""CI formats from hand-built reports: one JUnit test list per lesson, CSV points and metric columns, short summaries."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree as ET

import pytest

from graders.checklist import ListedCheck
from graders.formats import CSV_COLUMNS, shorten, to_csv, to_junit
from graders.report import Baseline, Check, Failure, GradeReport

LISTED = [ListedCheck("contract", "Module meets the contract"), ListedCheck("output_shape", "Output shape is (1,)"),
          ListedCheck("finite_predictions", "Predictions are finite numbers"),
          ListedCheck("beats_baseline", "Beats the baseline on held-out data", 10.0)]


def passing() -> GradeReport:
    checks = [Check(id=c.id, title=c.title, passed=True, points=c.max_points, max_points=c.max_points) for c in LISTED]
    report = GradeReport.from_checks(checks, submission="alice.py", lesson="lstm", metric="rmse",
                                     metrics={"heldout_rmse": 0.31, "baseline_rmse": 0.4172, "ratio_to_baseline": 0.74},
                                     baselines=[Baseline(id="last_value", title="t", meaning="m", value=0.5),
                                                Baseline(id="linear", title="t", meaning="m", value=0.4172, bar=True)])
    return report


def shape_mistake() -> GradeReport:
    checks = [Check(id="contract", title="Module meets the contract", passed=True, points=1),
              Check(id="output_shape", title="Output shape is (1,)", passed=False, message="outputs (24, 1)"),
              Check(id="finite_predictions", title="Predictions are finite numbers", passed=False, skipped=True,
                    message="Not run: fix the model's output shape first."),
              Check(id="beats_baseline", title="Beats", passed=False, skipped=True, max_points=10,
                    message="Not run: fix the model's output shape first.")]
    return GradeReport.from_checks(checks, submission="bob.py", lesson="lstm")


def syntax_error() -> GradeReport:
    message = "Syntax error on line 3: invalid syntax"
    return GradeReport.not_gradable(Failure.syntax_error, message, submission="carol.py", lesson="lstm",
                                    checks=[Check(id="contract", title="Module meets the contract", passed=False,
                                                  message=message)])


def crashed() -> GradeReport:
    return GradeReport.system_error("The sandbox could not start: no bwrap", submission="dave.py", lesson="lstm")


def suites(xml: str) -> dict[str, ET.Element]:
    return {s.get("name") or "": s for s in ET.fromstring(xml).findall("testsuite")}


def test_every_submission_has_the_same_tests_in_the_same_order() -> None:
    found = suites(to_junit([passing(), shape_mistake(), syntax_error(), crashed()], checks=LISTED))
    names = ["grading", *(c.id for c in LISTED)]
    for suite in found.values():
        assert [case.get("name") for case in suite.findall("testcase")] == names
        assert suite.get("tests") == str(len(names))
    counts = {name: (s.get("failures"), s.get("errors"), s.get("skipped")) for name, s in found.items()}
    assert counts == {"alice.py": ("0", "0", "0"), "bob.py": ("1", "0", "2"), "carol.py": ("2", "0", "3"),
                      "dave.py": ("0", "1", "4")}


def test_checks_not_reached_are_skipped_with_the_reason() -> None:
    carol = suites(to_junit([syntax_error()], checks=LISTED))["carol.py"]
    cases = {case.get("name"): case for case in carol.findall("testcase")}
    grading = cases["grading"].find("failure")
    assert grading is not None and grading.get("message") == "Module meets the contract"
    assert cases["contract"].find("failure") is not None  # the check that stopped it fails where it belongs
    for name in ("output_shape", "finite_predictions", "beats_baseline"):
        skipped = cases[name].find("skipped")
        assert skipped is not None
        assert skipped.get("message") == "not reached: not gradable: Syntax error on line 3: invalid syntax"
    bob = {c.get("name"): c for c in suites(to_junit([shape_mistake()], checks=LISTED))["bob.py"].findall("testcase")}
    skipped = bob["finite_predictions"].find("skipped")
    assert skipped is not None and skipped.get("message") == "Not run: fix the model's output shape first."


def test_without_a_checklist_the_reports_checks_are_the_list() -> None:
    found = suites(to_junit([syntax_error(), passing()]))
    assert {s.get("tests") for s in found.values()} == {"5"}


def rows(text: str) -> dict[str, dict[str, str]]:
    return {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}


def test_csv_has_points_max_points_and_the_main_metric() -> None:
    cases = GradeReport.from_checks([Check(id="shapes", title="Shapes", passed=True, points=1),
                                     Check(id="values", title="Values", passed=False)],
                                    submission="erin.py", lesson="windows",
                                    metrics={"cases": 14.0, "cases_passed": 9.0})
    diverged = passing()
    diverged.submission, diverged.metrics["heldout_rmse"] = "frank.py", -1.0  # NaN predictions: no value
    text = to_csv([passing(), shape_mistake(), syntax_error(), cases, diverged], checks=LISTED)
    assert next(csv.reader(io.StringIO(text))) == CSV_COLUMNS
    found = rows(text)
    alice = found["alice.py"]
    assert (alice["points"], alice["max_points"]) == ("13", "13")
    assert (alice["metric"], alice["metric_value"], alice["compared_with"], alice["compared_value"]) == (
        "rmse", "0.31", "linear", "0.4172")
    assert (found["bob.py"]["points"], found["bob.py"]["max_points"]) == ("1", "13")
    carol = found["carol.py"]
    assert (carol["points"], carol["max_points"], carol["metric"], carol["metric_value"]) == ("0", "13", "", "")
    erin = found["erin.py"]
    assert (erin["metric"], erin["metric_value"], erin["compared_with"], erin["compared_value"]) == (
        "cases_passed", "9", "cases", "14")
    assert found["frank.py"]["metric_value"] == "" and found["frank.py"]["compared_value"] == "0.4172"
    assert rows(to_csv([syntax_error()]))["carol.py"]["max_points"] == "1"  # no checklist: the report's own


@pytest.mark.parametrize(("text", "expected"), [
    ("All checks passed.", "All checks passed."),
    ("5 check(s) failed: Windows hold consecutive values in time order, No window contains its own target "
     "(no look-ahead), Multi-step targets",
     "5 check(s) failed: Windows hold consecutive values in time order, No window contains its own…"),
    ("Syntax error on line 1:\n    def f(:\n         ^", "Syntax error on line 1: def f(: ^"),
    ("x" * 150, "x" * 99 + "…"),  # one word longer than the line: cut, there is no boundary
])
def test_a_summary_is_shortened_at_a_word_boundary(text: str, expected: str) -> None:
    assert shorten(text) == expected
    assert len(shorten(text)) <= 100


def test_shortening_never_ends_inside_a_word() -> None:
    words = "interpretable recurrent networks remember sequences across arbitrarily many timesteps".split()
    text = " ".join(words * 4)
    for limit in range(20, 120, 7):
        short = shorten(text, limit)
        assert len(short) <= limit and short.endswith("…")
        assert short[:-1].split()[-1] in words  # the last word shown is whole
