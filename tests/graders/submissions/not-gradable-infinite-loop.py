"""Golden: build_model never returns. expect: status=not_gradable failure=cpu_time limits=cpu message=CPU time"""

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    while True:
        pass
