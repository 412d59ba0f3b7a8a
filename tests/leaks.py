"""What a student-facing artefact must not contain: reference code, hidden inputs, hidden expected values."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from grader.catalog import Exercise
from grader.instructor.solution_blocks import split_solution
from grader.instructor.visible_tests import is_visible_test, record_calls
from grader.sandbox.codec import from_jsonable
from grader.stubs import BEGIN_SOLUTION, END_SOLUTION, solution_source, stub_source


def numbers(data: Any) -> set[str]:
    """The distinctive decimal renderings (5+ significant digits) of every number in codec data."""
    values: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, np.ndarray) and value.dtype.kind in "fi":
            values.extend(float(v) for v in value.ravel())
        elif isinstance(value, float | int) and not isinstance(value, bool):
            values.append(float(value))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(from_jsonable(data))
    found = set()
    for v in values:
        for text in (f"{v:.6g}", f"{v:.4f}"):
            mantissa = text.split("e")[0]  # 1e-09 has one significant digit, not five characters
            if len(mantissa.strip("-0.").replace(".", "")) >= 5:
                found.add(text)
    return found


def symbols(data: Any) -> set[str]:
    """Every SymPy answer (as text) in codec data."""
    found: set[str] = set()
    if isinstance(data, dict):
        if "__sympy__" in data and len(data["__sympy__"]) >= 8:
            found.add(data["__sympy__"])
        for value in data.values():
            found |= symbols(value)
    elif isinstance(data, list):
        for value in data:
            found |= symbols(value)
    return found


def hidden_values(exercise: Exercise, seeds: list[int]) -> set[str]:
    """Renderings of the inputs and expected values of every hidden test for these seeds.

    Values the stub's own docstring states (e.g. σ(1) ≈ 0.731059) are public and left out.
    """
    found: set[str] = set()
    for seed in seeds:
        for test in exercise.points:
            if is_visible_test(test):
                continue
            for call in record_calls(exercise, test, seed=seed):
                found |= numbers(call["expected"]) | numbers(call["args"]) | symbols(call["expected"])
    public = stub_source(exercise.file)
    return {value for value in found if value not in public}


def reference_lines(exercise: Exercise) -> set[str]:
    """Lines of the reference's solution regions that the stub does not have (the answer itself)."""
    stub = {line.strip() for line in stub_source(exercise.file).splitlines()}
    found = set()
    for block in split_solution(solution_source(exercise.file)).blocks:
        if block.kind != "solution":
            continue
        body = block.source.split(BEGIN_SOLUTION, 1)[1].split(END_SOLUTION, 1)[0]
        for line in body.splitlines():
            text = line.strip()
            if len(text) >= 12 and not text.startswith("#") and text not in stub:
                found.add(text)
    return found


def code_lines(text: str) -> set[str]:
    """Stripped lines of a .py file or of every cell of a notebook (JSON)."""
    if text.lstrip().startswith("{"):
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells)
    return {line.strip() for line in text.splitlines()}


def baked_numbers(text: str) -> set[str]:
    """Renderings of the numbers baked into a released notebook's or a check script's test data."""
    if text.lstrip().startswith("{"):
        text = "\n".join(sorted(code_lines(text)))
    start = text.find("\nnn_load('") + 1
    if start <= 0:
        raise AssertionError("no baked test data (nn_load) found")
    import ast

    payload = json.loads(ast.literal_eval(text[start + len("nn_load("): text.index("\n", start)].rstrip(")")))
    found: set[str] = set()
    for test in payload["tests"].values():
        for call in test["calls"]:
            found |= numbers(call["args"]) | numbers(list(call["kwargs"].values())) | numbers(call["expected"])
            found |= numbers([value for _, value in call["mutants"]])
    for rows in payload["tables"].values():
        found |= numbers([row for pair in rows for row in pair])
    return found
