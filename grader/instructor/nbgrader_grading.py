"""Grading nbgrader notebooks outside the student's kernel.

`nbgrader autograde` runs each submitted notebook in a Jupyter kernel, and the
student's code runs in that kernel first: it can redefine the check functions,
patch numpy, builtins, `subprocess`, even IPython's traceback display, so
nothing the kernel prints can be trusted. So no test cell is graded by the
kernel. `OutOfKernelGrading`, an nbgrader preprocessor that the generated
`nbgrader_config.py` puts right after nbgrader's Execute step, does this in
nbgrader's own process:

1. takes the student's code from the notebook *file* (the read-only cells,
   restored by nbgrader from its gradebook, and the solution cells), never from
   the kernel;
2. grades it with `grade`'s hidden tests in a fresh `python -m
   grader.instructor.nbgrader_grading` process, through `grader.runner.grade_file`
   (the same sandbox as `grade`), with the student's seed;
3. replaces the outputs of every test cell with that verdict: "✓ … passed", or
   an error output with the feedback (nbgrader scores a cell with an error 0),
   and drops what the kernel printed elsewhere (it could quote any file the
   kernel can read, e.g. the installed reference solutions, into the feedback).

The generated config goes further and does not start the kernel at all
(`c.Execute.enabled = False`): no student code runs outside the sandbox. With
`--Execute.enabled=True` the notebook runs in a kernel as before and the
verdicts are still the ones computed here.

The seed: nbgrader gives the kernel no student id (only NBGRADER_EXECUTION=
autograde), but gives it to preprocessors as resources["nbgrader"]["student"].
The seed of a student for an exercise is

    student_seed(secret, student_id, "exerciseN")     (grader/instructor/course_secret.py)

with the course secret in `.grade-course-secret` at the course root (never
released, never in a student's folder), so `grade batch` and Gradescope derive
the same seed for the same student, and a regrade reproduces it.
`c.OutOfKernelGrading.seed = N` overrides it for debugging.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader.sandbox.client import DEFAULT_CALL_TIMEOUT

SUBPROCESS_TIMEOUT = 600  # seconds for one notebook; each call into student code is bounded far below this
_MISTAKE = re.compile(r"^\s*likely mistake:\s*(.*)$")


def hidden_summary(output: str) -> str:
    """What a student may see of a failed hidden test: the diagnosis, never inputs or expected values.

    Keeps the "likely mistake: …" sentences and "… is not implemented yet"; anything else
    (calls, expected/got, a traceback) becomes one generic line. One small function, so
    the result-model redaction of `--hidden-feedback summary` can replace it.
    """
    lines = output.splitlines()
    kept = [f"likely mistake: {m.group(1)}" for line in lines if (m := _MISTAKE.match(line))]
    kept += [line.strip() for line in lines if "is not implemented yet" in line]
    kept += [line.strip() for line in lines if line.startswith("Your file could not be imported")]
    if not kept:
        kept = ["Your function gave a wrong result on this test's inputs (the inputs stay hidden)."]
    return "\n".join(dict.fromkeys(kept))


def grade_source(exercise_name: str, source: str, seed: int, *, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 timeout: float = SUBPROCESS_TIMEOUT) -> dict[str, Any]:
    """Grade module `source` as `exercise_name` in a fresh grader process; the result as plain data."""
    request = json.dumps({"exercise": exercise_name, "source": source, "seed": seed, "call_timeout": call_timeout})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "NBGRADER_"))}
    proc = subprocess.run([sys.executable, "-m", "grader.instructor.nbgrader_grading"], input=request,
                          capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"grading {exercise_name} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _grade_request(request: dict[str, Any]) -> dict[str, Any]:
    from grader.catalog import resolve
    from grader.runner import grade_file
    from grader.sandbox.client import Limits

    exercise = resolve(str(request["exercise"]))
    with tempfile.TemporaryDirectory(prefix="nbgrade-") as tmp:
        path = Path(tmp) / exercise.file
        path.write_text(str(request["source"]), encoding="utf-8")
        result = grade_file(exercise, path, seed=int(request["seed"]),
                            limits=Limits(call_timeout=float(request["call_timeout"])))
        tests = [
            {"test_id": t.test_id, "title": t.name.split(" · ", 1)[-1], "score": t.score,
             "max_score": t.max_score, "output": t.output.replace(str(path), "your notebook")}
            for t in result.tests
        ]
    return {"tests": tests, "grader_error": result.grader_error or ""}


def cell_outputs(test: dict[str, Any], *, visible: bool, hidden_feedback: str = "summary") -> list[dict[str, Any]]:
    """The outputs a graded test cell gets: a stdout line when it passed, an error output when not."""
    points = test["max_score"]
    unit = "point" if points == 1 else "points"
    title = test["title"].rstrip(".")
    if test["score"] >= test["max_score"]:
        return [{"output_type": "stream", "name": "stdout", "text": f"✓ {title} passed ({points:g} {unit})\n"}]
    kind = "worked example" if visible else "hidden test"
    detail = test["output"] if visible or hidden_feedback == "full" else hidden_summary(test["output"])
    lines = [f"✗ {title}  ({kind}, 0/{points:g} {unit})", *detail.splitlines()]
    return [{"output_type": "error", "ename": "TestFailed", "evalue": lines[0], "traceback": lines}]


def _preprocessor_class() -> Any:
    from nbgrader.preprocessors import NbGraderPreprocessor  # enabled by default, unlike nbconvert's base
    from traitlets import Bool, Enum, Float, Integer, Unicode

    class OutOfKernelGrading(NbGraderPreprocessor):
        """Replace every test cell's outputs with `grade`'s verdict, computed outside the kernel."""

        secret_file = Unicode("", help="The course secret (.grade-course-secret at the course root).").tag(
            config=True)
        seed = Integer(None, allow_none=True, help="Debugging: one seed for every student.").tag(config=True)
        hidden_feedback = Enum(["summary", "full"], "summary",
                               help="What a failed hidden test shows: the diagnosis only, or everything.").tag(
            config=True)
        call_timeout = Float(DEFAULT_CALL_TIMEOUT, help="Seconds each call into student code may take.").tag(
            config=True)
        clear_other_outputs = Bool(True, help="Drop what the student's kernel printed in the other cells: "
                                              "it could quote files the kernel can read.").tag(config=True)

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            from nbformat import from_dict

            from grader.catalog import resolve
            from grader.instructor.course_secret import load_secret, student_seed
            from grader.instructor.notebook_code import nbgrader_meta, notebook_module_source
            from grader.instructor.visible_tests import is_visible_test

            info = resources.get("nbgrader", {})
            try:
                exercise = resolve(str(info.get("notebook", "")))
            except Exception:
                self.log.warning("OutOfKernelGrading: %s is not an exercise of this course; left as nbgrader graded it",
                                 info.get("notebook"))
                return nb, resources
            cells = [c for c in nb.cells
                     if c.cell_type == "code" and nbgrader_meta(c).get("grade")
                     and nbgrader_meta(c).get("grade_id") in exercise.points]
            if not cells:
                return nb, resources
            if self.seed is not None:
                seed = int(self.seed)
            else:
                if not self.secret_file:
                    raise RuntimeError("OutOfKernelGrading.secret_file is not set (see nbgrader_config.py)")
                seed = student_seed(load_secret(Path(self.secret_file)), str(info["student"]), exercise.name)
            result = grade_source(exercise.name, notebook_module_source(nb), seed, call_timeout=self.call_timeout)
            by_id = {t["test_id"]: t for t in result["tests"]}
            if self.clear_other_outputs:
                for cell in nb.cells:
                    if cell.cell_type == "code" and cell not in cells:
                        cell.outputs = []
                        cell.execution_count = None
            for cell in cells:
                test_id = nbgrader_meta(cell)["grade_id"]
                outputs = cell_outputs(by_id[test_id], visible=is_visible_test(test_id),
                                       hidden_feedback=self.hidden_feedback)
                cell.outputs = [from_dict(o) for o in outputs]
                cell.metadata.setdefault("nn_learn", {})["title"] = by_id[test_id]["title"].rstrip(".")
            if result["grader_error"]:
                self.log.error("grading %s for %s: %s", exercise.name, info.get("student"), result["grader_error"])
            self.log.info("graded %s for %s outside the kernel (seed from the course secret)",
                          exercise.name, info.get("student"))
            return nb, resources

    return OutOfKernelGrading


def __getattr__(name: str) -> Any:
    # nbconvert and traitlets load only when nbgrader asks for the class.
    if name == "OutOfKernelGrading":
        cls = _preprocessor_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


def main() -> int:
    """`python -m grader.instructor.nbgrader_grading`: one JSON request on stdin, the result on stdout."""
    raw = sys.stdin.read(64 * 1024 * 1024)
    result = _grade_request(json.loads(raw))
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
