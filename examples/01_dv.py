"""Example submissions of 01_dv: the reference, the untouched release, typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).
See grading/examples.py for the format.
"""
TRAINER_TESTS = ["test_trainer_estimate", "test_trainer_own_data"]

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
        "lose": ["test_dv_value"],
        "message": "The average over Z_ref divides by n' = len(Z_ref), not by n = len(Z).",
    },
    "dv_missing_log_n": {
        # off by log n': the gradient is unchanged, every estimate is wrong
        "edits": {"dv": [(" - np.log(Z_ref.shape[0])", "")]},
        "lose": ["test_dv_value", "test_dv_stable", *TRAINER_TESTS],
    },
    "dv_wrong_sign": {
        "edits": {"dv": [("return t.mean() - (t_ref.flatten().logsumexp(dim=0) - np.log(Z_ref.shape[0]))",
                          "return (t_ref.flatten().logsumexp(dim=0) - np.log(Z_ref.shape[0])) - t.mean()")]},
        # the trainer then minimizes the true DV, but still trains on its own data
        "lose": ["test_dv_value", "test_dv_stable", "test_trainer_estimate"],
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
        "message": "train_step must call self.optimizer.step() after loss.backward().",
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
