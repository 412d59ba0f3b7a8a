"""The batch grader's outputs: the CSV gradebook and each student's results.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

from grader.results import ExerciseResult, results_json

if TYPE_CHECKING:
    from grader.batch import BatchReport

GRADEBOOK = "gradebook.csv"


def write_gradebook(out: Path, report: BatchReport) -> Path:
    """gradebook.csv: one row per student, one column per exercise, total, notes."""
    by_key = {(g.student, g.exercise): g for g in report.graded}
    path = out / GRADEBOOK
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *(e.name for e in report.exercises), "total", "max_total", "notes"])
        for student in report.students:
            row: list[str] = [student]
            total = max_total = 0.0
            notes = []
            for exercise in report.exercises:
                graded = by_key[(student, exercise.name)]
                max_total += exercise.max_score
                if graded.result is None:
                    row.append("")
                    notes.append(f"{exercise.name}: grading failed")
                    continue
                row.append(f"{graded.result.score:g}")
                total += graded.result.score
                if graded.missing:
                    notes.append(f"{exercise.name}: not submitted")
                elif graded.result.grader_error:
                    notes.append(f"{exercise.name}: grader error")
            writer.writerow([*row, f"{total:g}", f"{max_total:g}", "; ".join(notes)])
    return path


def write_student_results(out: Path, report: BatchReport) -> None:
    """OUT/<student>/results.json: Gradescope's format, every exercise of that student."""
    by_student: dict[str, list[ExerciseResult]] = {}
    for graded in report.graded:
        if graded.result is not None:
            by_student.setdefault(graded.student, []).append(graded.result)
    for student, results in by_student.items():
        folder = out / student
        folder.mkdir(parents=True, exist_ok=True)
        results.sort(key=lambda r: r.exercise)
        (folder / "results.json").write_text(json.dumps(results_json(results), indent=2), encoding="utf-8")
