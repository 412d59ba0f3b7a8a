

def gradient_step(params, grad, learning_rate):
    """An infinite loop: the sandbox must time it out and grade the rest."""
    while True:
        pass
