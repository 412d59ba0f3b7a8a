"""Reference solutions: the single source of the stubs, notebooks and expected values.

Each file is what a student's `exercises/` file should become. nbgrader markers
(`### BEGIN SOLUTION` / `### END SOLUTION`) surround the code a student writes;
`grade dev sync` strips them into the stubs under `exercises/`.
"""
