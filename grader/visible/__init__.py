"""The visible-check runtime shipped to students (see runtime.py): stdlib and numpy only."""
