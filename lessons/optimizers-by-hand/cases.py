"""Hidden cases for the optimizer, schedule and initializer functions, and the answers of typical mistakes.

Every case lists what typical wrong versions return ("mistakes"), so that the report can name the mistake. A mistake
that gives the right answer on a case (or the answer of a mistake listed before it), or a non-finite one, is left
out of that case. NumPy only: this file runs inside the sandbox.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray


# ---------------------------------------------------------------- RMSprop

def _rmsprop(param: Array, grad: Array, velocity: Array, learning_rate: float, rho: float, epsilon: float,
             bug: str = "") -> tuple[Array, Array]:
    """keras.optimizers.RMSprop's update when bug is "", else with one typical mistake planted."""
    keep = 1.0 - rho if bug == "rho_swapped" else rho  # the weight of the old average
    new_velocity = keep * velocity + (1.0 - keep) * grad**2
    seen = velocity if bug == "old_velocity" else new_velocity
    if bug == "eps_outside":
        denominator = np.sqrt(seen) + epsilon
    elif bug == "no_sqrt":
        denominator = seen + epsilon
    else:
        denominator = np.sqrt(seen + epsilon)
    step = learning_rate * grad / denominator
    return (param + step if bug == "ascent" else param - step), new_velocity


RMSPROP_MISTAKES = {
    "rho_swapped": "rho and 1 - rho are swapped. rho is how much of the OLD average is kept: "
                   "new_velocity = rho * velocity + (1 - rho) * grad**2, so with rho = 0.9 the newest squared gradient "
                   "gets a weight of only 0.1.",
    "eps_outside": "epsilon is outside the square root, as in Adam. Keras's RMSprop adds it inside: grad / "
                   "sqrt(new_velocity + epsilon). The two differ whenever the velocity is as small as epsilon, that "
                   "is for tiny gradients.",
    "old_velocity": "the step divides by the OLD velocity. Update the velocity first, then divide by "
                    "sqrt(new_velocity + epsilon): on the first step from zero velocity the old one would divide by "
                    "sqrt(epsilon).",
    "no_sqrt": "the square root is missing: RMSprop divides by the root of the mean square (the RMS), "
               "sqrt(new_velocity + epsilon), so that the step is about learning_rate whatever the gradient's scale.",
    "ascent": "the step goes uphill: subtract it. new_param = param - learning_rate * grad / sqrt(new_velocity + "
              "epsilon).",
}


# ---------------------------------------------------------------- Adam

def _adam(param: Array, grad: Array, m: Array, v: Array, step: int, learning_rate: float, beta_1: float,
          beta_2: float, epsilon: float, bug: str = "") -> tuple[Array, Array, Array]:
    """keras.optimizers.Adam's update when bug is "", else with one typical mistake planted."""
    t = step if bug == "step_from_zero" else step + 1
    if bug == "betas_swapped":
        new_m, new_v = (1.0 - beta_1) * m + beta_1 * grad, (1.0 - beta_2) * v + beta_2 * grad**2
    else:
        new_m, new_v = beta_1 * m + (1.0 - beta_1) * grad, beta_2 * v + (1.0 - beta_2) * grad**2
    seen_m, seen_v = (m, v) if bug == "old_moments" else (new_m, new_v)
    with np.errstate(divide="ignore", invalid="ignore"):
        if bug == "paper_epsilon":  # Algorithm 1 of Kingma & Ba: corrected moments, epsilon added after
            m_hat, v_hat = seen_m / (1.0 - beta_1**t), seen_v / (1.0 - beta_2**t)
            return param - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), new_m, new_v
        if bug == "no_bias_correction":
            alpha = learning_rate
        elif bug == "first_moment_only":
            alpha = learning_rate / (1.0 - beta_1**t)
        else:
            alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        denominator = np.sqrt(seen_v + epsilon) if bug == "eps_inside" else np.sqrt(seen_v) + epsilon
        return param - alpha * seen_m / denominator, new_m, new_v


ADAM_MISTAKES = {
    "no_bias_correction": "the bias correction is missing. m and v start at zero, so early on they are too small: "
                          "Keras multiplies the rate by sqrt(1 - beta_2**t) / (1 - beta_1**t), with t = step + 1. "
                          "Without it the early steps have the wrong size: with the default betas the first one is "
                          "3.2 times too large.",
    "step_from_zero": "the bias correction uses t = step. step counts the updates done BEFORE this one (Keras's "
                      "optimizer.iterations, 0 on the first update), so the paper's t is step + 1; with t = step the "
                      "first update divides by 1 - beta_1**0 = 0.",
    "first_moment_only": "only m is bias-corrected. v starts at zero too: the rate is learning_rate * sqrt(1 - "
                         "beta_2**t) / (1 - beta_1**t). With beta_2 = 0.999 the correction sqrt(1 - beta_2**t) still "
                         "matters after hundreds of steps.",
    "paper_epsilon": "this is Algorithm 1 of the Adam paper (m_hat = m / (1 - beta_1**t), v_hat = v / (1 - "
                     "beta_2**t), then m_hat / (sqrt(v_hat) + epsilon)). Keras folds the correction into the rate "
                     "instead: alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) and new_param = param - "
                     "alpha * m / (sqrt(v) + epsilon), so its epsilon is the paper's 'epsilon hat'. The two differ "
                     "when sqrt(v) is as small as epsilon.",
    "eps_inside": "epsilon is inside the square root, as in RMSprop. Keras's Adam adds it outside: m / (sqrt(v) + "
                  "epsilon).",
    "betas_swapped": "beta and 1 - beta are swapped. beta_1 and beta_2 are how much of the OLD averages is kept: "
                     "m = beta_1 * m + (1 - beta_1) * grad and v = beta_2 * v + (1 - beta_2) * grad**2.",
    "old_moments": "the step uses the moments from BEFORE this gradient. Update m and v first, then step with the "
                   "new ones: new_param = param - alpha * new_m / (sqrt(new_v) + epsilon).",
}


# ---------------------------------------------------------------- schedules and initializers

def _exponential(step: int, initial: float, decay_steps: int, rate: float, staircase: bool, bug: str = "") -> float:
    """keras.optimizers.schedules.ExponentialDecay when bug is "", else with one typical mistake planted."""
    if bug == "per_step":
        return float(initial * rate**step)
    p = step / decay_steps
    if bug == "round":
        p = float(np.round(p)) if staircase else p
    elif bug == "staircase_ignored":
        pass
    elif staircase or bug == "always_staircase":
        p = float(np.floor(p))
    return float(initial * (1.0 - rate) ** p if bug == "lose_rate" else initial * rate**p)


EXPONENTIAL_MISTAKES = {
    "staircase_ignored": "staircase=True was ignored. With a staircase the exponent is a whole number, "
                         "floor(step / decay_steps): the rate stays flat for decay_steps steps, then drops by "
                         "decay_rate at once.",
    "always_staircase": "the exponent was rounded down although staircase is False. Without a staircase the rate "
                        "decays smoothly: decay_rate ** (step / decay_steps), a fractional power.",
    "per_step": "the rate was multiplied by decay_rate at every step. decay_rate applies once per decay_steps "
                "steps: initial_learning_rate * decay_rate ** (step / decay_steps).",
    "round": "the exponent was rounded to the nearest whole number. A staircase drops only when a whole "
             "decay_steps has passed: use floor(step / decay_steps).",
    "lose_rate": "decay_rate is the fraction KEPT per decay_steps, not the fraction lost: decay_rate=0.96 keeps 96 % "
                 "of the rate. Use decay_rate ** p, not (1 - decay_rate) ** p.",
}


def _cosine(step: int, initial: float, decay_steps: int, alpha: float, bug: str = "") -> float:
    """keras.optimizers.schedules.CosineDecay (no warmup) when bug is "", else with one typical mistake planted."""
    fraction = step / decay_steps if bug == "no_clamp" else min(step, decay_steps) / decay_steps
    if bug == "linear":
        return float(initial * ((1.0 - alpha) * (1.0 - fraction) + alpha))
    cosine = (1.0 if bug == "no_half" else 0.5) * (1.0 + np.cos(np.pi * fraction))
    if bug == "alpha_ignored":
        return float(initial * cosine)
    if bug == "alpha_added":
        return float(initial * (cosine + alpha))
    if bug == "alpha_absolute":
        return float((initial - alpha) * cosine + alpha)
    return float(initial * ((1.0 - alpha) * cosine + alpha))


COSINE_MISTAKES = {
    "no_half": "the cosine factor is 1 + cos(pi * step / decay_steps), which starts at 2. Halve it: "
               "0.5 * (1 + cos(pi * step / decay_steps)) goes from 1 to 0, so the rate starts at "
               "initial_learning_rate.",
    "linear": "this decays in a straight line. CosineDecay follows half a cosine: slow at first, fastest in the "
              "middle, slow again at the end: 0.5 * (1 + cos(pi * step / decay_steps)).",
    "alpha_ignored": "alpha was ignored. The rate ends at alpha * initial_learning_rate, not at 0: "
                     "initial_learning_rate * ((1 - alpha) * cosine + alpha).",
    "alpha_added": "alpha was added to the cosine without scaling the cosine by (1 - alpha), so the rate starts "
                   "above initial_learning_rate. Use (1 - alpha) * cosine + alpha: 1 at the start, alpha at the end.",
    "alpha_absolute": "alpha was used as a learning rate. It is a FRACTION of initial_learning_rate: the final "
                      "rate is alpha * initial_learning_rate.",
    "no_clamp": "after decay_steps the cosine was allowed to rise again. Keras clips the step at decay_steps: "
                "use min(step, decay_steps), so the rate stays at alpha * initial_learning_rate.",
}


def _glorot(fan_in: int, fan_out: int, bug: str = "") -> float:
    """The Glorot-uniform limit when bug is "", else another initializer's number."""
    return float({
        "": np.sqrt(6.0 / (fan_in + fan_out)),
        "fan_in_only": np.sqrt(6.0 / fan_in),
        "lecun": np.sqrt(3.0 / fan_in),
        "normal_stddev": np.sqrt(2.0 / (fan_in + fan_out)),
        "no_sqrt": 6.0 / (fan_in + fan_out),
    }[bug])


GLOROT_MISTAKES = {
    "fan_in_only": "this uses fan_in only, sqrt(6 / fan_in): that is He uniform, meant for ReLU layers. Glorot "
                   "averages both sides: sqrt(6 / (fan_in + fan_out)), so that the variance is kept in the forward "
                   "pass and the backward pass alike.",
    "lecun": "this is LeCun uniform, sqrt(3 / fan_in), which uses fan_in only. Glorot uniform uses both fans: "
             "sqrt(6 / (fan_in + fan_out)).",
    "normal_stddev": "sqrt(2 / (fan_in + fan_out)) is the standard deviation of Glorot NORMAL. A uniform distribution "
                     "on [-limit, limit] has a standard deviation of limit / sqrt(3), so the same variance needs "
                     "limit = sqrt(6 / (fan_in + fan_out)).",
    "no_sqrt": "the square root is missing: 6 / (fan_in + fan_out) is the square of the limit. "
               "limit = sqrt(6 / (fan_in + fan_out)).",
}


def _orthogonal(shape: tuple[int, int], normal: Array, gain: float, bug: str = "") -> Array:
    """keras.initializers.Orthogonal on a given normal draw when bug is "", else with one typical mistake."""
    rows, cols = shape
    if bug == "unit_columns":
        q = normal / np.linalg.norm(normal, axis=0)
    else:
        q, r = np.linalg.qr(normal)
        if bug != "no_sign_fix":
            q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q if bug == "gain_ignored" else gain * q


ORTHOGONAL_MISTAKES = {
    "no_sign_fix": "this is the Q of np.linalg.qr as it comes. A QR decomposition is unique only up to the signs of "
                   "Q's columns; Keras fixes them by multiplying column j by the sign of R[j, j] "
                   "(q * np.sign(np.diag(r))), which also makes the matrix uniformly random.",
    "unit_columns": "the columns have length 1 but are not orthogonal to each other. Orthogonalise them with a QR "
                    "decomposition, q, r = np.linalg.qr(normal), then fix the signs: q * np.sign(np.diag(r)).",
    "gain_ignored": "gain was ignored. Keras multiplies the orthogonal matrix by gain at the end, so that every "
                    "vector's length is multiplied by exactly gain.",
}


# ---------------------------------------------------------------- making cases

def _differs(a: Any, b: Any) -> bool:
    """Clearly different (far beyond the grader's rtol 1e-5, atol 1e-9), item by item for tuples."""
    if isinstance(a, tuple):
        return any(_differs(x, y) for x, y in zip(a, b, strict=True))
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    return a.shape != b.shape or not np.allclose(a, b, rtol=1e-4, atol=1e-8)


def _finite(value: Any) -> bool:
    parts = value if isinstance(value, tuple) else (value,)
    return all(np.all(np.isfinite(np.asarray(p, dtype="float64"))) for p in parts)


def _case(function: str, check: str, title: str, hint: str, args: list[Any], variant: Any, known: dict[str, str],
          bugs: list[str]) -> dict[str, Any]:
    right = variant(*args)
    mistakes: list[dict[str, Any]] = []
    for bug in bugs:
        with np.errstate(all="ignore"):
            wrong = variant(*args, bug=bug)
        if _finite(wrong) and _differs(wrong, right) and all(_differs(wrong, m["value"]) for m in mistakes):
            mistakes.append({"value": wrong, "hint": known[bug]})
    return {"check": check, "title": title, "function": function, "args": args, "hint": hint, "mistakes": mistakes}


def _rmsprop_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = []
    # The mistakes each check lists: the ones its cases are built to show (a grading message has a size limit).
    bugs = {"rmsprop_shapes": [], "rmsprop_velocity": ["rho_swapped", "ascent"],
            "rmsprop_update": ["old_velocity", "no_sqrt", "ascent"], "rmsprop_epsilon": ["eps_outside", "no_sqrt"]}

    def case(check: str, title: str, hint: str, args: list[Any]) -> dict[str, Any]:
        return _case("rmsprop_step", check, title, hint, args, _rmsprop, RMSPROP_MISTAKES, bugs[check])

    title = "rmsprop_step returns (new_param, new_velocity), both of param's shape"
    hint = "Return a tuple of two arrays, the updated parameter and the updated velocity, each of param's shape."
    for shape in ((3, 4), (5,)):
        args = [rng.normal(0.0, 0.1, shape), rng.normal(0.0, 1.0, shape), rng.uniform(0.1, 1.0, shape), 0.01, 0.9, 1e-7]
        cases.append({**case("rmsprop_shapes", title, hint, args), "compare": "shape"})

    title = "RMSprop's velocity is a running average of the squared gradient"
    hint = ("new_velocity = rho * velocity + (1 - rho) * grad**2: keep a fraction rho of the old average and add a "
            "fraction 1 - rho of the new squared gradient (element by element).")
    for rho in (0.9, 0.7):
        shape = (4, 3)
        args = [rng.normal(0.0, 0.1, shape), rng.normal(0.0, 2.0, shape), rng.uniform(0.5, 3.0, shape), 0.05, rho, 1e-7]
        cases.append(case("rmsprop_velocity", title, hint, args))

    title = "RMSprop divides the step by sqrt(new velocity + epsilon)"
    hint = ("Update the velocity first, then new_param = param - learning_rate * grad / sqrt(new_velocity + epsilon). "
            "The division by the running RMS makes every weight's step about learning_rate, whatever the size of "
            "its gradient.")
    shape = (2, 5)
    scales = np.array([[0.01], [100.0]])  # one row of tiny gradients, one of huge ones: both move by about the same
    cases.append(case("rmsprop_update", title, hint,
                      [rng.normal(0.0, 0.1, shape), rng.normal(0.0, 1.0, shape) * scales, np.zeros(shape), 0.01, 0.9,
                       1e-7]))
    cases.append(case("rmsprop_update", title, hint,
                      [rng.normal(0.0, 0.1, (6,)), rng.normal(0.0, 1.0, (6,)), rng.uniform(0.2, 2.0, (6,)), 0.1, 0.8,
                       1e-7]))

    title = "RMSprop adds epsilon inside the square root"
    hint = ("Keras's RMSprop computes grad / sqrt(new_velocity + epsilon): epsilon inside the root (Adam puts it "
            "outside). It matters for tiny gradients, whose velocity is as small as epsilon.")
    cases.append(case("rmsprop_epsilon", title, hint,
                      [rng.normal(0.0, 1e-4, (3, 3)), rng.normal(0.0, 3e-4, (3, 3)), rng.uniform(0.0, 1e-7, (3, 3)),
                       1e-3, 0.9, 1e-7]))
    cases.append(case("rmsprop_epsilon", title, hint,
                      [rng.normal(0.0, 0.05, (4,)), rng.normal(0.0, 0.5, (4,)), rng.uniform(0.0, 0.2, (4,)), 0.01,
                       0.9, 0.1]))
    return cases


def _adam_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = []
    bugs = {"adam_shapes": [], "adam_moments": ["betas_swapped", "old_moments"],
            "adam_bias_correction": ["no_bias_correction", "step_from_zero", "first_moment_only", "paper_epsilon"],
            "adam_late_steps": ["no_bias_correction", "step_from_zero", "first_moment_only"],
            "adam_epsilon": ["paper_epsilon", "eps_inside", "no_bias_correction"]}

    def case(check: str, title: str, hint: str, args: list[Any]) -> dict[str, Any]:
        return _case("adam_step", check, title, hint, args, _adam, ADAM_MISTAKES, bugs[check])

    def moments(shape: tuple[int, ...], scale: float) -> list[Array]:
        return [rng.normal(0.0, scale, shape), rng.uniform(0.5, 1.5, shape) * scale**2]

    title = "adam_step returns (new_param, new_m, new_v), each of param's shape"
    hint = "Return a tuple of three arrays: the updated parameter, first moment m and second moment v."
    for shape in ((2, 3), (4,)):
        args = [rng.normal(0.0, 0.1, shape), rng.normal(size=shape), *moments(shape, 1.0), 3, 0.001, 0.9, 0.999, 1e-7]
        cases.append({**case("adam_shapes", title, hint, args), "compare": "shape"})

    title = "Adam's m and v are running averages of the gradient and of its square"
    hint = ("new_m = beta_1 * m + (1 - beta_1) * grad and new_v = beta_2 * v + (1 - beta_2) * grad**2, then the step "
            "uses the NEW moments: new_param = param - alpha * new_m / (sqrt(new_v) + epsilon).")
    for beta_1, beta_2 in ((0.9, 0.999), (0.8, 0.95)):
        shape = (3, 4)
        args = [rng.normal(0.0, 0.01, shape), rng.normal(0.0, 1.0, shape), *moments(shape, 0.5), 20_000, 0.01,
                beta_1, beta_2, 1e-7]
        cases.append(case("adam_moments", title, hint, args))

    title = "The first steps are bias-corrected: alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t), t = step + 1"
    hint = ("m and v start at zero, so early on they underestimate the gradient's averages. Keras corrects the rate: "
            "alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) with t = step + 1 (step is the number of "
            "updates done before, 0 on the first). If you returned nan or inf on the first update, you used t = step: "
            "1 - beta_1**0 = 0.")
    shape = (5,)
    cases.append(case("adam_bias_correction", title, hint,  # the very first update: Adam moves each weight by lr
                      [rng.normal(0.0, 0.01, shape), rng.normal(0.0, 1.0, shape), np.zeros(shape), np.zeros(shape),
                       0, 0.01, 0.9, 0.999, 1e-7]))
    for step in (1, 4):
        shape = (2, 3)
        g = rng.normal(0.0, 1.0, shape)
        m, v = 0.1 * g, 0.002 * g**2  # what one earlier update of a similar gradient left behind
        cases.append(case("adam_bias_correction", title, hint,
                          [rng.normal(0.0, 0.01, shape), g + rng.normal(0.0, 0.3, shape), m, v, step, 0.01, 0.9,
                           0.999, 1e-7]))

    title = "With beta_2 = 0.999 the bias correction still matters after hundreds of steps"
    hint = ("1 - beta_1**t is almost 1 after 50 steps, but 1 - beta_2**t with beta_2 = 0.999 needs thousands: at t = "
            "500 its root is only 0.63. Keep the whole factor sqrt(1 - beta_2**t) / (1 - beta_1**t), with t = step + "
            "1.")
    for step in (99, 499):
        shape = (4, 2)
        args = [rng.normal(0.0, 0.01, shape), rng.normal(0.0, 1.0, shape), *moments(shape, 0.3), step, 0.01, 0.9,
                0.999, 1e-7]
        cases.append(case("adam_late_steps", title, hint, args))

    title = "Adam adds epsilon outside the square root, to the uncorrected sqrt(v) (Keras's 'epsilon hat')"
    hint = ("Keras computes new_param = param - alpha * new_m / (sqrt(new_v) + epsilon), with the bias correction "
            "inside alpha; epsilon is added to sqrt(v) itself, not to the bias-corrected sqrt(v_hat) (Algorithm 1 of "
            "the paper) and not under the root (RMSprop). It matters for tiny gradients, whose sqrt(v) is as small as "
            "epsilon.")
    shape = (3, 2)
    cases.append(case("adam_epsilon", title, hint,
                      [rng.normal(0.0, 1e-3, shape), rng.normal(0.0, 1e-5, shape), np.zeros(shape), np.zeros(shape),
                       0, 0.001, 0.9, 0.999, 1e-7]))
    cases.append(case("adam_epsilon", title, hint,
                      [rng.normal(0.0, 0.01, (4,)), rng.normal(0.0, 1e-3, (4,)), *moments((4,), 1e-3), 9, 0.01, 0.9,
                       0.999, 1e-3]))
    return cases


def _schedule_cases() -> list[dict[str, Any]]:
    cases = []
    exp_every, cos_every = list(EXPONENTIAL_MISTAKES), list(COSINE_MISTAKES)

    def exponential(check: str, title: str, hint: str, args: list[Any]) -> dict[str, Any]:
        return _case("exponential_decay", check, title, hint, args, _exponential, EXPONENTIAL_MISTAKES, exp_every)

    def cosine(check: str, title: str, hint: str, args: list[Any]) -> dict[str, Any]:
        return _case("cosine_decay", check, title, hint, args, _cosine, COSINE_MISTAKES, cos_every)

    title = "ExponentialDecay: the rate times decay_rate ** (step / decay_steps)"
    hint = ("Without a staircase the rate decays smoothly: initial_learning_rate * decay_rate ** (step / decay_steps), "
            "a fractional power between the whole steps (e.g. 0.1 * 0.5 ** 0.25 at a quarter of decay_steps).")
    for step, initial, decay_steps, rate in ((0, 0.01, 100, 0.9), (250, 0.1, 1000, 0.5), (1234, 0.001, 1000, 0.96),
                                             (37, 0.05, 10, 0.8)):
        cases.append(exponential("exponential_smooth", title, hint, [step, initial, decay_steps, rate, False]))

    title = "ExponentialDecay with staircase=True drops only after each whole decay_steps"
    hint = ("With staircase=True the exponent is floor(step / decay_steps): the rate is flat for decay_steps steps, "
            "then multiplied by decay_rate at once (step 999 of decay_steps=1000 still has the initial rate).")
    for step, initial, decay_steps, rate in ((999, 0.1, 1000, 0.5), (1000, 0.1, 1000, 0.5), (1700, 0.01, 1000, 0.9),
                                             (37, 0.05, 10, 0.8)):
        cases.append(exponential("exponential_staircase", title, hint, [step, initial, decay_steps, rate, True]))

    title = "CosineDecay follows half a cosine from the initial rate down"
    hint = ("rate = initial_learning_rate * 0.5 * (1 + cos(pi * step / decay_steps)) when alpha is 0: the initial rate "
            "at step 0, half of it at decay_steps / 2, 0 at decay_steps.")
    for step, initial, decay_steps in ((250, 0.1, 1000), (500, 0.02, 1000), (90, 0.001, 100)):
        cases.append(cosine("cosine_shape", title, hint, [step, initial, decay_steps, 0.0]))

    title = "CosineDecay ends at alpha * initial_learning_rate"
    hint = ("alpha is the fraction of the initial rate left at the end: initial_learning_rate * ((1 - alpha) * cosine "
            "+ alpha), with cosine = 0.5 * (1 + cos(pi * step / decay_steps)).")
    for step, initial, decay_steps, alpha in ((0, 0.01, 1000, 0.1), (300, 0.1, 1000, 0.2), (1000, 0.05, 1000, 0.1)):
        cases.append(cosine("cosine_alpha", title, hint, [step, initial, decay_steps, alpha]))

    title = "After decay_steps, CosineDecay stays at its final rate"
    hint = ("Past decay_steps the cosine would rise again; Keras uses min(step, decay_steps), so the rate stays at "
            "alpha * initial_learning_rate.")
    for step, initial, decay_steps, alpha in ((1500, 0.1, 1000, 0.0), (2000, 0.01, 1000, 0.1)):
        cases.append(cosine("cosine_after", title, hint, [step, initial, decay_steps, alpha]))
    return cases


def _init_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = []

    title = "Glorot uniform: limit = sqrt(6 / (fan_in + fan_out))"
    hint = ("keras.initializers.GlorotUniform (the default kernel_initializer of Dense, SimpleRNN, LSTM and GRU) draws "
            "from U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)): the variance limit**2 / 3 is "
            "2 / (fan_in + fan_out).")
    # (3, 16): an LSTM(4) kernel on 3 features, whose fan_out is 4 * units.
    for fan_in, fan_out in ((3, 16), (128, 10), (64, 64)):
        cases.append(_case("glorot_uniform_limit", "glorot", title, hint, [fan_in, fan_out], _glorot,
                           GLOROT_MISTAKES, list(GLOROT_MISTAKES)))

    def orthogonal(check: str, title: str, hint: str, shape: tuple[int, int], gain: float) -> dict[str, Any]:
        rows, cols = shape
        normal = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        while np.all(np.diag(np.linalg.qr(normal)[1]) > 0):  # so that leaving out the sign fix shows
            normal = rng.normal(0.0, 1.0, normal.shape)
        return _case("orthogonal", check, title, hint, [shape, normal, gain], _orthogonal, ORTHOGONAL_MISTAKES,
                     list(ORTHOGONAL_MISTAKES))

    title = "Orthogonal: the Q of a QR decomposition, signs fixed so that R's diagonal is positive"
    hint = ("q, r = np.linalg.qr(normal), then q = q * np.sign(np.diag(r)) (each column times the sign of R's "
            "diagonal entry): the result has orthonormal columns, Q.T @ Q = I, and is unique.")
    for shape in ((5, 5), (6, 3)):
        cases.append(orthogonal("orthogonal", title, hint, shape, 1.0))

    title = "Orthogonal for a wide shape (rows < cols) is transposed: orthonormal rows"
    hint = ("Keras draws normal with shape (max(rows, cols), min(rows, cols)), so for rows < cols (an LSTM's "
            "recurrent kernel is (units, 4 * units)) the Q it gets is tall: transpose it to (rows, cols). Then the "
            "rows are orthonormal: W @ W.T = I.")
    for shape in ((3, 12), (2, 6)):
        cases.append(orthogonal("orthogonal_wide", title, hint, shape, 1.0))

    title = "Orthogonal multiplies the matrix by gain"
    hint = "Multiply the orthogonal matrix by gain at the end: every vector's length is then scaled by exactly gain."
    for shape, gain in (((4, 4), 1.5), ((3, 6), 0.5)):
        cases.append(orthogonal("orthogonal_gain", title, hint, shape, gain))
    return cases


def make_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    return [*_rmsprop_cases(rng), *_adam_cases(rng), *_schedule_cases(), *_init_cases(rng)]
