"""Example submissions of 01_dv: the reference, the untouched release, typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).
See grading/examples.py for the format.
"""
TRAINER_TESTS = ["test_trainer_estimate", "test_trainer_own_data"]
_DV = "    return t.mean() - (t_ref.flatten().logsumexp(dim=0) - np.log(Z_ref.shape[0]))"

SUBMISSIONS = {
    "correct": {},
    "unchanged": {"from": "release"},
    # --- ground truth -------------------------------------------------------
    "divergence_no_trace_term": {
        # right for unit variances (the visible test), wrong for any other covariance
        "edits": {"divergence": [("0.5 * (np.trace(cov) - d - logdet)", "-0.5 * logdet")]},
        "lose": ["test_divergence"],
    },
    "divergence_wrong_sign": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"divergence": [("0.5 * (np.trace(cov) - d - logdet)",
                                  "0.5 * (d + logdet - np.trace(cov))")]},
        "lose": ["test_divergence"],
    },
    "divergence_in_bits": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"divergence": [("0.5 * (np.trace(cov) - d - logdet)",
                                  "0.5 * (np.trace(cov) - d - logdet) / np.log(2)")]},
        "lose": ["test_divergence"],
    },
    "divergence_closed_form_2x2": {
        # the course text's -1/2 log(1 - rho^2), read off cov[0][1]: not general
        "edits": {"divergence": [("return 0.5 * (np.trace(cov) - d - logdet)",
                                  "return -0.5 * np.log(1 - cov[0][1] ** 2)")]},
        "lose": ["test_divergence"],
    },
    # --- DV -------------------------------------------------------------------
    "dv_naive_exp": {
        # overflows when t is large: the value test passes, the stability test fails
        "edits": {"dv": [("(t_ref.flatten().logsumexp(dim=0) - np.log(Z_ref.shape[0]))",
                          "t_ref.exp().mean().log()")]},
        "lose": ["test_dv_stable"],
        "message": "exp(1000) overflows: use torch.logsumexp instead of .exp().mean().log().",
    },
    "dv_log_n_of_Z": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # divides by n instead of n': invisible while n == n'
        "edits": {"dv": [("np.log(Z_ref.shape[0])", "np.log(Z.shape[0])")]},
        # the hidden loss check uses batches of 30 and 20 samples
        "lose": ["test_dv_value", "test_trainer_own_data"],
        "message": "The average over Z_ref divides by n' = len(Z_ref), not by n = len(Z).",
    },
    "dv_missing_log_n": {
        # off by log n': the gradient is unchanged, every estimate is wrong
        "edits": {"dv": [(" - np.log(Z_ref.shape[0])", "")]},
        "lose": ["test_dv_value", "test_dv_stable", *TRAINER_TESTS],
    },
    "dv_wrong_sign": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"dv": [("return t.mean() - (t_ref.flatten().logsumexp(dim=0) - np.log(Z_ref.shape[0]))",
                          "return (t_ref.flatten().logsumexp(dim=0) - np.log(Z_ref.shape[0])) - t.mean()")]},
        # the trainer then minimizes the true DV and diverges
        "lose": ["test_dv_value", "test_dv_stable", *TRAINER_TESTS],
    },
    # --- trainer ------------------------------------------------------------------
    "trainer_wrong_sign": {
        # minimizes DV instead of maximizing it
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "return DV(batch_Z, batch_Z_ref, t)")]},
        "lose": TRAINER_TESTS,
    },
    "trainer_no_optimizer_step": {
        "edits": {"dv_trainer": [("        self.optimizer.step()\n", "")]},
        "lose": TRAINER_TESTS,
        # feedback shows the grader's verdict (issue 24), not the kernel's assert message: the check's hint
        "message": "the trainer must use its own batch_Z and batch_Z_ref: one step of self.optimizer on their loss, for self.net.",
    },
    "trainer_no_zero_grad": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # gradients pile up across steps: Adam then follows their running sum
        "edits": {"dv_trainer": [("        self.optimizer.zero_grad(set_to_none=True)\n", "")]},
        "lose": TRAINER_TESTS,
    },
    "trainer_global_data": {
        # trains on batches of the global Z, Z_ref: the visible test (on that data) passes
        "edits": {"dv_trainer": [("loss = self.loss(batch_Z, batch_Z_ref, self.net)",
                                  "i = torch.randint(len(Z), (len(batch_Z),))\n"
                                  "        loss = self.loss(Z[i], Z_ref[i], self.net)")]},
        "lose": TRAINER_TESTS,
        "message": "the trainer must use its own batch_Z and batch_Z_ref",
    },
    "trainer_global_device": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # moves the batches to the global DEVICE instead of using them where they are
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "return -DV(batch_Z.to(DEVICE), batch_Z_ref.to(DEVICE), t)")]},
        "lose": ["test_trainer_own_data"],
    },
    "trainer_global_net": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the loss ignores the network t it is given and calls the global net
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "return -DV(batch_Z, batch_Z_ref, net)")]},
        "lose": TRAINER_TESTS,
    },
    # --- issue 13: mistakes the earlier tests let through ---------------------------
    "divergence_fixed_d2": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # d hard-coded to 2: right in 2 dimensions only
        "edits": {"divergence": [("d = cov.shape[0]", "d = 2")]},
        "lose": ["test_divergence"],
    },
    "dv_mean_of_t_ref": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # mean of t on Z_ref instead of log mean exp: an upper bound, unbounded in training
        "edits": {"dv": [(_DV, "    return t.mean() - t_ref.mean()")]},
        "lose": ["test_dv_value", "test_dv_stable", *TRAINER_TESTS],
    },
    "dv_detached_item": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # a number, not a differentiable tensor: nothing can train
        "edits": {"dv": [(_DV, "    return torch.tensor((t.mean() - (t_ref.flatten().logsumexp(dim=0)"
                               " - np.log(Z_ref.shape[0]))).item())")]},
        "lose": ["test_dv_value", "test_dv_stable", *TRAINER_TESTS],
    },
    "dv_cpu_log_weights": {
        # log weights made on the CPU: fails on a GPU (caught with "meta" tensors)
        "edits": {"dv": [(_DV, "    log_w = torch.full((Z_ref.shape[0],), -float(np.log(Z_ref.shape[0])))\n"
                               "    return t.mean() - torch.logsumexp(t_ref.flatten() + log_w, dim=0)")]},
        "lose": ["test_dv_value", "test_trainer_own_data"],
    },
    "dv_cpu_log_n_vector": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # log n' as a 1-element CPU tensor: fails on a GPU
        "edits": {"dv": [("np.log(Z_ref.shape[0])", "torch.log(torch.tensor([float(Z_ref.shape[0])]))")]},
        "lose": ["test_dv_value", "test_trainer_own_data"],
    },
    "dv_float32_cast": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # t cast to float32: float64 data lose their precision
        "edits": {"dv": [("    t = net(Z)\n    t_ref = net(Z_ref)",
                          "    t = net(Z).float()\n    t_ref = net(Z_ref).float()")]},
        "lose": ["test_dv_value"],
    },
    "loss_uses_self_net": {
        # ignores the network t it is given (breaks compile=True)
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "return -DV(batch_Z, batch_Z_ref, self.net)")]},
        "lose": ["test_trainer_own_data"],
    },
    "loss_uses_stored_data": {
        # ignores the batch and uses all the trainer's data: every step sees the same Z_ref,
        # and the network overfits it (DV of the trained network with fresh P_Z samples 2.2
        # against the truth 0.83)
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "return -DV(self.Z, self.Z_ref, t)")]},
        "lose": TRAINER_TESTS,
    },
    "train_step_two_optimizer_steps": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # two Adam steps per batch
        "edits": {"dv_trainer": [("        self.optimizer.step()\n",
                                  "        self.optimizer.step()\n        self.optimizer.step()\n")]},
        "lose": ["test_trainer_own_data"],
    },
    "step_reports_gaussian_formula": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # trains, but reports the closed form of the sample covariance, not DV of the network
        "edits": {"dv_trainer": [("            estimate = float(DV(self.Z, self.Z_ref, self.net))",
                                  "            cov = np.cov(self.Z.cpu().numpy().T)\n"
                                  "            estimate = 0.5 * (np.trace(cov) - 2 - np.linalg.slogdet(cov)[1])")]},
        "lose": ["test_trainer_estimate"],
    },
    "step_does_not_train": {
        # the case: a loss that is not DV (no gradient to speak of) and the closed form reported
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "return 0.0 * t(batch_Z).mean()"),
                                 ("            estimate = float(DV(self.Z, self.Z_ref, self.net))",
                                  "            cov = np.cov(self.Z.cpu().numpy().T)\n"
                                  "            estimate = 0.5 * (np.trace(cov) - 2 - np.linalg.slogdet(cov)[1])")]},
        "lose": TRAINER_TESTS,
    },
    # --- alternative correct answers: full marks ---------------------------------
    "alt_divergence_eigenvalues": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"divergence": [("    _, logdet = np.linalg.slogdet(cov)\n    return 0.5 * (np.trace(cov) - d - logdet)",
                                  "    ev = np.linalg.eigvalsh(cov)\n    return 0.5 * float(np.sum(ev - 1.0 - np.log(ev)))")]},
    },
    "alt_divergence_torch_float64": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"divergence": [("    _, logdet = np.linalg.slogdet(cov)\n    return 0.5 * (np.trace(cov) - d - logdet)",
                                  "    c = torch.as_tensor(cov, dtype=torch.float64)\n"
                                  "    return 0.5 * (torch.trace(c) - d - torch.logdet(c))")]},
    },
    "alt_dv_max_shift": {
        # logsumexp by hand, with a shift read as a Python number (fine on a GPU)
        "edits": {"dv": [(_DV, "    c = float(t_ref.max())\n"
                               "    return t.mean() - (c + torch.log(torch.mean(torch.exp(t_ref - c))))")]},
    },
    "alt_dv_tensor_shift_math_log": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"dv": [(_DV, "    c = t_ref.max().detach()\n"
                               "    lme = c + torch.log(torch.exp(t_ref - c).sum()) - math.log(len(Z_ref))\n"
                               "    return torch.mean(t) - lme"),
                         ("    t = net(Z)", "    import math\n    t = net(Z)")]},
    },
    "alt_dv_torch_log_n": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # log n' as a 0-dim CPU tensor: a scalar, fine on any device
        "edits": {"dv": [("np.log(Z_ref.shape[0])", "torch.tensor(Z_ref.shape[0]).log()")]},
    },
    "alt_loss_inline_train_step_zero_grad_last": {
        # the loss written out without DV; gradients cleared after the step instead of before
        "edits": {"dv_trainer": [("return -DV(batch_Z, batch_Z_ref, t)",
                                  "t_Z, t_ref = t(batch_Z), t(batch_Z_ref)\n"
                                  "        return torch.logsumexp(t_ref, dim=0).squeeze() - np.log(len(t_ref)) - t_Z.mean()"),
                                 ("        self.optimizer.zero_grad(set_to_none=True)\n", ""),
                                 ("        self.optimizer.step()\n",
                                  "        self.optimizer.step()\n        self.optimizer.zero_grad(set_to_none=False)\n")]},
    },
    # --- tampering (grading/tamper.py) ----------------------------------------------
    "tamper_check_close": {
        # a wrong divergence, and the helper the tests call patched to accept anything:
        # every test from the answer cell on is zeroed, and the submission is flagged
        "edits": {"divergence": [("return 0.5 * (np.trace(cov) - d - logdet)",
                                  "return -0.5 * logdet\n\n\nimport helpers.checks\n"
                                  "helpers.checks.check_close = lambda *args, **kwargs: None")]},
        "lose": "all",
        "review": True,
    },
}
