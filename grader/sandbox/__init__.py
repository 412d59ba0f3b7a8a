"""Running untrusted student code out of process, and talking to it safely."""
