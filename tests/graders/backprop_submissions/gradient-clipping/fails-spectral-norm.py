"""np.linalg.norm(g, 2) on matrices: the global norm is wrong and the report explains ord=2.

expect: status=failed check=global_norm message=largest singular value
"""

import numpy as np


def clip_by_global_norm(grads, clip_norm):
    norm = float(np.sqrt(sum(np.linalg.norm(g, 2) ** 2 for g in grads)))
    scale = clip_norm / max(norm, clip_norm)
    return [g * scale for g in grads], norm
