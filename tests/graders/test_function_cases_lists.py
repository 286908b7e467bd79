"""function_cases compares a list like a tuple, item by item: a list of gradients has arrays of different shapes."""

from __future__ import annotations

import numpy as np

from graders.tasks.function_cases import compare, compare_shapes, judge_case

A, B = np.ones(3), np.arange(6.0).reshape(2, 3)


def test_a_returned_list_counts_as_a_tuple() -> None:
    assert compare([A, B], (A, B), 1e-5, 1e-6) is None
    assert compare((A, B), [A, B], 1e-5, 1e-6) is None
    assert compare_shapes([A, B], (A, B)) is None


def test_a_list_of_arrays_of_different_shapes_is_compared_item_by_item() -> None:
    assert compare(([A, B], 2.0), ([A, B], 2.0), 1e-5, 1e-6) is None
    problem = compare(([A, B + 1], 2.0), ([A, B], 2.0), 1e-5, 1e-6)
    assert problem is not None and problem.startswith("item 0: item 1: values differ")
    assert compare([A], [A, B], 1e-5, 1e-6) == "returned a list of 1, expected a list of 2 values"
    assert compare_shapes(([A, B.T], 2.0), ([A, B], 2.0)) == "item 0: item 1: returned shape (3, 2), expected (2, 3)"


def test_a_list_answer_against_an_array_or_a_number_is_still_wrong() -> None:
    assert compare(A, [A, B], 1e-5, 1e-6) is not None
    assert compare([1.0, 2.0], 3.0, 1e-5, 1e-6) is not None


def test_a_list_of_numbers_still_compares_with_an_array() -> None:
    assert compare(np.array([1.0, 2.0]), [1.0, 2.0], 1e-5, 1e-6) is None  # not a list or tuple: compared as one array
    assert compare([1.0, 2.0], [1.0, 2.0000001], 1e-5, 1e-6) is None


def test_a_ragged_answer_is_a_teaching_message_not_a_crash() -> None:
    problem = judge_case({"function": "clip"}, [A, [B, "x"]], [A, B], 1e-5, 1e-6)
    assert problem is not None and problem.startswith("clip(): item 1:")
