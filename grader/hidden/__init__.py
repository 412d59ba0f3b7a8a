"""Hidden tests: pytest modules run by `grade`, one per exercise.

They run in the grading process and reach the student's code only through the
`student` fixture (a sandboxed proxy); expected values come from the `ref`
fixture, the reference solution. Points per test live in the catalog.
"""
