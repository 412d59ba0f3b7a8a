"""The `grade` command line: exit codes, names, workspace commands, progress."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import REPO, make_workspace, reference_source, run_grade

from grader.catalog import load_catalog
from grader.stubs import stub_source

FILE = "exercise1_update_rule.py"


@pytest.fixture
def stub_ws(tmp_path):
    return make_workspace(tmp_path / "ws", {ex.file: stub_source(ex.file) for ex in load_catalog()})


def test_help_and_list_import_neither_numpy_nor_sympy(stub_ws):
    code = (
        "import sys\nfrom grader.cli import main\n"
        "for argv in (['--help'], ['list', '--path', sys.argv[1]], ['hint', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit as e:\n        assert e.code in (0, None), e.code\n"
        "heavy = sorted(m for m in ('numpy', 'sympy', 'pytest', 'matplotlib') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(stub_ws)], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout


def test_every_command_has_help():
    from grader.cli import COMMANDS

    for name in [*COMMANDS, "exercise1", "1", "update-rule"]:
        proc = run_grade(name, "--help")
        assert proc.returncode == 0, (name, proc.stderr)
        assert "Usage:" in proc.stdout


def test_the_timeout_help_states_the_limits_in_force():
    from click.testing import CliRunner

    from grader.cli import cli
    from grader.sandbox.client import DEFAULT_CALL_TIMEOUT, IMPORT_CPU_LIMIT, TIME_FACTOR, TIME_FLOOR

    stated = f"{TIME_FACTOR:g}× the reference's time, at least {TIME_FLOOR:g} and at most {DEFAULT_CALL_TIMEOUT:g}"
    for argv in (["exercise1", "--help"], ["batch", "--help"]):
        text = " ".join(CliRunner().invoke(cli, argv, terminal_width=400).output.split())
        assert stated in text, argv
    assert f"importing {IMPORT_CPU_LIMIT:g}]" in " ".join(
        CliRunner().invoke(cli, ["exercise1", "--help"], terminal_width=400).output.split())


@pytest.mark.parametrize("name", ["exercise1", "1", "update-rule", "ex1", "Exercise1"])
def test_exercise_aliases_grade_the_same_exercise(stub_ws, name):
    proc = run_grade(name, "--json", "--seed", "1", "--no-record", "--path", str(stub_ws))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["extra_data"]["exercises"][0]["slug"] == "update-rule"


def test_unknown_names_suggest_and_exit_2(stub_ws):
    proc = run_grade("exercse1", "--path", str(stub_ws))
    assert proc.returncode == 2
    assert "Did you mean 'exercise1'" in proc.stderr
    proc = run_grade("hint", "update-rul", "--path", str(stub_ws))
    assert proc.returncode == 2 and "Did you mean 'update-rule'" in proc.stderr
    proc = run_grade("exercise1", "--seed", "-4", "--path", str(stub_ws))
    assert proc.returncode == 2


def test_exit_codes_follow_the_score(tmp_path):
    ws = make_workspace(tmp_path, {FILE: reference_source(FILE)})
    assert run_grade("exercise1", "--path", str(ws), "--no-record").returncode == 0
    (ws / "exercises" / FILE).write_text(stub_source(FILE))
    assert run_grade("exercise1", "--path", str(ws), "--no-record").returncode == 1


def test_terminal_report_without_colour_and_with_seed(tmp_path):
    ws = make_workspace(tmp_path, {FILE: stub_source(FILE)})
    proc = run_grade("exercise1", "--path", str(ws), "--seed", "42", env={"NO_COLOR": "1"})
    assert "\x1b[" not in proc.stdout
    assert "seed 42" in proc.stdout and "grade exercise1 --seed 42" in proc.stdout
    assert "not implemented yet" in proc.stdout and "grade hint exercise1" in proc.stdout
    default = run_grade("exercise1", "--path", str(ws))
    assert "Reproduce this run: grade exercise1 --seed" in default.stdout


def test_json_is_gradescope_shaped(tmp_path):
    ws = make_workspace(tmp_path, {FILE: reference_source(FILE)})
    proc = run_grade("exercise1", "--json", "--path", str(ws), "--no-record")
    data = json.loads(proc.stdout)
    assert {"score", "max_score", "tests", "execution_time", "output"} <= set(data)
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in {"passed", "failed"}
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_workspace_is_found_from_a_subdirectory(tmp_path):
    ws = make_workspace(tmp_path, {FILE: reference_source(FILE)})
    deep = ws / "exercises" / "notes" / "deeper"
    deep.mkdir(parents=True)
    proc = run_grade("exercise1", "--no-record", cwd=deep)
    assert proc.returncode == 0, proc.stderr


def test_no_workspace_is_a_usage_error(tmp_path):
    proc = run_grade("exercise1", cwd=tmp_path)
    assert proc.returncode == 2
    assert "grade init" in proc.stderr


def test_init_creates_stubs_and_never_overwrites_without_force(tmp_path):
    target = tmp_path / "course"
    assert run_grade("init", str(target)).returncode == 0
    path = target / "exercises" / FILE
    assert path.read_text() == stub_source(FILE)
    path.write_text("my precious work\n")
    proc = run_grade("init", str(target))
    assert proc.returncode == 1 and "nothing was changed" in proc.stderr
    assert path.read_text() == "my precious work\n"
    assert run_grade("init", str(target), "--force").returncode == 0
    assert path.read_text() == stub_source(FILE)
    backups = list((target / ".grade" / "backups").glob("exercise1_update_rule.*.py"))
    assert [b.read_text() for b in backups] == ["my precious work\n"]


def test_reset_restores_the_stub_and_keeps_a_backup(tmp_path):
    ws = make_workspace(tmp_path, {FILE: reference_source(FILE)})
    proc = run_grade("reset", "exercise1", "--path", str(ws))
    assert proc.returncode == 0
    assert (ws / "exercises" / FILE).read_text() == stub_source(FILE)
    (backup,) = (ws / ".grade" / "backups").glob("*.py")
    assert backup.read_text() == reference_source(FILE)
    again = run_grade("reset", "exercise1", "--path", str(ws))
    assert "already the untouched stub" in again.stdout
    assert len(list((ws / ".grade" / "backups").glob("*.py"))) == 1


def test_grading_never_modifies_the_students_file(tmp_path):
    source = reference_source(FILE) + "\n# my notes\n"
    ws = make_workspace(tmp_path, {FILE: source})
    run_grade("exercise1", "--path", str(ws))
    assert (ws / "exercises" / FILE).read_text() == source


def test_hints_are_progressive(stub_ws):
    # never graded: the hints are for the file's first function, one more per call
    function, hints = next(iter(load_catalog()[0].function_hints.items()))

    def flat(text):
        return " ".join(text.split())

    first = flat(run_grade("hint", "exercise1", "--path", str(stub_ws)).stdout)
    assert function in first and hints[0] in first and hints[1] not in first
    second = flat(run_grade("hint", "1", "--path", str(stub_ws)).stdout)
    assert hints[0] in second and hints[1] in second
    for _ in range(len(hints)):
        last = flat(run_grade("hint", "exercise1", "--path", str(stub_ws)).stdout)
    assert all(h in last for h in hints) and "last hint" in last


def test_solution_asks_before_spoiling_an_unattempted_exercise(stub_ws):
    refused = run_grade("solution", "exercise1", "--path", str(stub_ws), stdin="n\n")
    assert refused.returncode == 1 and "### BEGIN SOLUTION" not in refused.stdout
    shown = run_grade("solution", "exercise1", "--path", str(stub_ws), "--yes")
    assert shown.returncode == 0 and reference_source(FILE) in shown.stdout
    (stub_ws / "exercises" / FILE).write_text(stub_source(FILE) + "# started\n")
    attempted = run_grade("solution", "exercise1", "--path", str(stub_ws))
    assert attempted.returncode == 0 and "def gradient_step" in attempted.stdout


def test_list_status_moves_from_not_started_to_done(tmp_path):
    ws = make_workspace(tmp_path, {FILE: stub_source(FILE)})

    def row():
        rows = json.loads(run_grade("list", "--json", "--path", str(ws)).stdout)
        return next(r for r in rows if r["number"] == 1)

    assert row()["status"] == "not started" and row()["best_score"] is None
    (ws / "exercises" / FILE).write_text(stub_source(FILE) + "# started\n")
    assert row()["status"] == "in progress"
    run_grade("exercise1", "--path", str(ws))
    assert row()["status"] == "in progress" and row()["best_score"] == 0
    (ws / "exercises" / FILE).write_text(reference_source(FILE))
    run_grade("exercise1", "--path", str(ws))
    assert row()["status"] == "done" and row()["best_score"] == load_catalog()[0].max_score


def test_concurrent_grade_runs_all_record_progress(tmp_path):
    ws = make_workspace(tmp_path, {FILE: reference_source(FILE)})
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda s: run_grade("exercise1", "--seed", str(s), "--path", str(ws)).returncode,
                              range(6)))
    assert codes == [0] * 6
    data = json.loads(run_grade("progress", "--json", "--path", str(ws)).stdout)
    assert sorted(a["seed"] for a in data["attempts"]) == list(range(6))
    text = run_grade("progress", "--path", str(ws)).stdout
    full = load_catalog()[0].max_score
    assert "exercise1" in text and f"{full}/{full}" in text


def test_progress_store_survives_parallel_writers(tmp_path):
    from grader.progress import ProgressStore

    # Fresh databases each time: the first writers racing to create one is the hard case.
    for trial in range(8):
        path = tmp_path / f"p{trial}.sqlite3"
        with ThreadPoolExecutor(max_workers=8) as pool:
            # a store per writer, as separate `grade` processes would have
            list(pool.map(lambda i, path=path: ProgressStore(path).record_attempt(1, i, 15, seed=i, file_sha=None),
                          range(40)))
        store = ProgressStore(path)
        assert len(store.attempts(1)) == 40
        assert store.best_scores() == {1: 39.0}


def test_grade_all_summarises_and_exits_1_unless_everything_passes(stub_ws):
    proc = run_grade("all", "--path", str(stub_ws), "--seed", "5", "--no-record", timeout=600)
    assert proc.returncode == 1
    for ex in load_catalog():
        assert ex.name in proc.stdout
    data = json.loads(run_grade("all", "--json", "--path", str(stub_ws), "--no-record", timeout=600).stdout)
    assert data["score"] == 0 and data["max_score"] == sum(ex.max_score for ex in load_catalog())


def test_dev_check_is_clean_and_detects_drift(tmp_path):
    assert run_grade("dev", "check").returncode == 0
    drifted = tmp_path / "exercises"
    drifted.mkdir()
    for ex in load_catalog():
        (drifted / ex.file).write_text(stub_source(ex.file))
    (drifted / FILE).write_text(stub_source(FILE) + "# drift\n")
    proc = run_grade("dev", "check", "--exercises-dir", str(drifted))
    assert proc.returncode == 1 and "differs from the stub" in proc.stdout


def test_committed_stubs_match_the_solutions():
    from grader.authoring import catalog_problems, stub_drift

    assert stub_drift(REPO / "exercises") == []
    assert catalog_problems() == []
