"""Instructor tools: an nbgrader course, a Gradescope autograder, batch grading.

Everything here is generated from the same single source as the student stubs
(the reference files in `solutions/` and the catalog) and grades with the same
hidden tests as `grade`, so every route gives a submission the same score.
"""

# One fixed seed for every instructor route (notebooks, Gradescope, batch), so a
# submission scores the same wherever it is graded and a regrade is reproducible.
DEFAULT_SEED = 2024
