

def bowl_gradient(point):
    """Kills the process running it: the sandbox must survive and grade the rest."""
    import os

    os._exit(3)
