"""Example submissions of 02_mine: the reference, the untouched release, typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).
See grading/examples.py for the format.
"""
RESAMPLE_TESTS = ["test_resample", "test_resample_with_replacement"]
PLOT_TEST = ["test_plot_resampled_with_replacement"]
TRAINER_TESTS = ["test_mine_loss", "test_mine_trainer"]

# The reference loss and estimate, as edits replace them.
_LOSS = (
    "        t = self.net(batch_X, batch_Y)\n"
    "        t_ = self.net(batch_X_ref, batch_Y_ref)\n"
    "        L = -t.mean()\n"
    "        L_ = t_.exp().mean()\n"
)
_RETURN = "return L + L_ / self.m"
_ESTIMATE = "return float(t.mean() - t_.flatten().logsumexp(dim=0) + np.log(self.n))"

SUBMISSIONS = {
    "correct": {},
    "unchanged": {"from": "release"},
    # The course text's code, letter for letter: it must earn full marks.
    "seed_literal": {
        "edits": {
            "mine_trainer": [
                (_LOSS, "        L = -self.net(batch_X, batch_Y).mean()\n"
                        "        L_ = self.net(batch_X_ref, batch_Y_ref).exp().mean()\n"),
                (_RETURN, "loss = L + L_ / self.m\n        return loss"),
                ("        idx_X = torch.randperm(self.n, device=self.X.device)\n"
                 "        idx_Y = torch.randperm(self.n, device=self.Y.device)\n"
                 "        t = self.net(self.X[: self.n], self.Y[: self.n])\n"
                 "        t_ = self.net(self.X[idx_X], self.Y[idx_Y])\n"
                 "        " + _ESTIMATE,
                 "        idx_X = torch.randperm(self.n)\n"
                 "        idx_Y = torch.randperm(self.n)\n"
                 "        X_ref = self.X[idx_X]\n"
                 "        Y_ref = self.Y[idx_Y]\n"
                 "        estimate = (\n"
                 "            self.net(self.X, self.Y).mean()\n"
                 "            - self.net(X_ref, Y_ref).logsumexp(0)\n"
                 "            + np.log(self.n)\n"
                 "        ).item()\n"
                 "        return estimate"),
            ],
            "resample": [("index = rng.choice(data.shape[0], size=size, replace=replace)",
                          "index = rng.choice(range(data.shape[0]), size=size, replace=replace)")],
        },
    },
    "forward_hstack": {
        # another correct concatenation
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.hstack((x, y))")]},
    },
    "forward_concat_dim1": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.concat((x, y), dim=1)")]},
    },
    # --- resample ---------------------------------------------------------------
    "resample_ignores_replace": {
        "edits": {"resample": [("replace=replace)", "replace=False)")]},
        "lose": ["test_resample_with_replacement", *PLOT_TEST],
    },
    "resample_always_with_replacement": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # rng.integers draws with replacement: rows repeat, no ValueError for size > n
        "edits": {"resample": [("rng.choice(data.shape[0], size=size, replace=replace)",
                                "rng.integers(0, data.shape[0], size=size)")]},
        "lose": ["test_resample"],
    },
    "resample_shuffles_input": {
        # shuffles the caller's data in place and takes the first rows
        "edits": {"resample": [("index = rng.choice(data.shape[0], size=size, replace=replace)\n"
                                "    return data[index]",
                                "rng.shuffle(data)\n    return data[:size]")]},
        "lose": [*RESAMPLE_TESTS, *PLOT_TEST],
    },
    "resample_converts_to_numpy": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # right for arrays; a tensor comes back as a numpy array, with or without replacement
        "edits": {"resample": [("index = rng.choice(data.shape[0], size=size, replace=replace)\n"
                                "    return data[index]",
                                "return rng.choice(data, size=size, replace=replace)")]},
        "lose": RESAMPLE_TESTS,
        "message": "Index the data with an array of indices instead of converting it",
    },
    # --- plot with replacement -------------------------------------------------------
    "plot_without_replacement": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"plot_resampled_with_replacement": [(", replace=True)", ")")]},
        "lose": PLOT_TEST,
    },
    "plot_resamples_whole_rows": {
        # the pairs (X_i, Y_i) stay together: no independence
        "edits": {"plot_resampled_with_replacement": [
            ("np.block([resample(XY[:, [0]], n_, replace=True), resample(XY[:, [1]], n_, replace=True)])",
             "resample(XY, n_, replace=True)")]},
        "lose": PLOT_TEST,
        "message": "Resample X' and Y' with independent indices",
    },
    "plot_ignores_slider": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"plot_resampled_with_replacement": [
            ("resample(XY[:, [0]], n_, replace=True), resample(XY[:, [1]], n_, replace=True)",
             "resample(XY[:, [0]], n, replace=True), resample(XY[:, [1]], n, replace=True)")]},
        "lose": PLOT_TEST,
    },
    # --- forward ------------------------------------------------------------------
    "forward_relu": {
        "edits": {"net": [("a1 = F.elu(", "a1 = F.relu("), ("a2 = F.elu(", "a2 = F.relu(")]},
        "lose": ["test_net"],
    },
    "forward_no_second_activation": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"net": [("a2 = F.elu(self.fc2(a1))", "a2 = self.fc2(a1)")]},
        "lose": ["test_net"],
    },
    "forward_ignores_y": {
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.cat([x, x], dim=-1)")]},
        "lose": ["test_net", "test_mine_trainer"],
        # the comparison with its own layers fails first
        "message": "on x and y concatenated in the last dimension in this order",
    },
    "forward_cat_wrong_dim": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # stacks the samples instead of the features: fc1 gets 1 input instead of 2
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.cat([x, y], dim=0)")]},
        "lose": ["test_net", "test_mine_trainer", "test_sweep_beta"],
    },
    # --- MINETrainer -------------------------------------------------------------------
    "loss_wrong_sign": {
        "edits": {"mine_trainer": [("L = -t.mean()", "L = t.mean()")]},
        "lose": TRAINER_TESTS,
    },
    "loss_no_moving_average": {
        # the biased MINE gradient: L + log L_ (the update of m is still there)
        "edits": {"mine_trainer": [(_RETURN, "return L + L_.log()")]},
        "lose": ["test_mine_loss"],
    },
    "loss_beta_on_wrong_term": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine_trainer": [("self.m = (1 - self.beta) * L_.detach() + self.beta * self.m",
                                    "self.m = self.beta * L_.detach() + (1 - self.beta) * self.m")]},
        "lose": ["test_mine_loss"],
        "message": "By (27) the new m is (1 - beta) * L_ + beta * (the previous m).",
    },
    "loss_m_not_detached": {
        # the moving average carries the graph of the previous steps
        "edits": {"mine_trainer": [("(1 - self.beta) * L_.detach()", "(1 - self.beta) * L_")]},
        # training then fails (backward through the graph a second time), the beta sweep too
        "lose": [*TRAINER_TESTS, "test_sweep_beta"],
    },
    "loss_joint_as_marginal": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # L_ from the joint batch: no resampled batch at all
        "edits": {"mine_trainer": [("t_ = self.net(batch_X_ref, batch_Y_ref)",
                                    "t_ = self.net(batch_X, batch_Y)")]},
        "lose": TRAINER_TESTS,
    },
    "estimate_exp_mean_log": {
        # exp(t) overflows for t around 1000
        "edits": {"mine_trainer": [(_ESTIMATE,
                                    "return float(t.mean() - t_.exp().mean().log())")]},
        "lose": ["test_mine_estimate"],
        "message": "use torch.logsumexp",
    },
    "estimate_missing_log_n": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine_trainer": [(" + np.log(self.n))", ")")]},
        "lose": ["test_mine_estimate", "test_mine_trainer"],
    },
    "estimate_same_permutation": {
        # one permutation for X' and Y': the pairs (X_i, Y_i) stay together
        "edits": {"mine_trainer": [("t_ = self.net(self.X[idx_X], self.Y[idx_Y])",
                                    "t_ = self.net(self.X[idx_X], self.Y[idx_X])")]},
        "lose": ["test_mine_estimate", "test_mine_trainer"],
        # the visible value check fails first, with the general hint on (24)
        "message": "minus log of the mean of exp(t) on n resampled pairs (X', Y')",
    },
    "estimate_joint_as_marginal": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine_trainer": [("t_ = self.net(self.X[idx_X], self.Y[idx_Y])",
                                    "t_ = self.net(self.X, self.Y)")]},
        "lose": ["test_mine_estimate", "test_mine_trainer"],
    },
    "estimate_gaussian_formula": {
        # the closed form for Gaussian data from the sample correlation, no network:
        # right on the notebook's data, wrong on the coin data of the hidden test
        "edits": {"mine_trainer": [(_ESTIMATE,
                                    "corr = np.corrcoef(self.X.flatten().cpu().numpy(), "
                                    "self.Y.flatten().cpu().numpy())[0, 1]\n"
                                    "        return float(-0.5 * np.log(1 - corr**2))")]},
        "lose": ["test_mine_estimate", "test_mine_trainer"],
    },
    # --- issue 13: mistakes the earlier tests let through ---------------------------
    "resample_first_rows": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the first size rows: no randomness
        "edits": {"resample": [("index = rng.choice(data.shape[0], size=size, replace=replace)\n"
                                "    return data[index]", "return data[:size]")]},
        "lose": [*RESAMPLE_TESTS, *PLOT_TEST],
    },
    "net_ignores_hidden_size": {
        # the width hard-coded: Net(hidden_size=...) changes nothing
        "edits": {"net": [("self.fc1 = nn.Linear(input_size, hidden_size)", "self.fc1 = nn.Linear(input_size, 100)"),
                          ("self.fc2 = nn.Linear(hidden_size, hidden_size)", "self.fc2 = nn.Linear(100, 100)"),
                          ("self.fc3 = nn.Linear(hidden_size, 1)", "self.fc3 = nn.Linear(100, 1)")]},
        "lose": ["test_net"],
    },
    "forward_float32_cast": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the input cast to float32: a float64 network fails
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.cat([x, y], dim=-1).float()")]},
        "lose": ["test_net"],
    },
    "forward_cpu_input": {
        # the input moved to the CPU: fails on a GPU (caught with "meta" tensors)
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.cat([x.cpu(), y.cpu()], dim=-1)")]},
        "lose": ["test_net"],
    },
    "loss_uses_stored_data": {
        # the joint term on all the trainer's data, not on the batch
        "edits": {"mine_trainer": [("        t = self.net(batch_X, batch_Y)\n",
                                    "        t = self.net(self.X, self.Y)\n")]},
        "lose": ["test_mine_loss"],
    },
    "loss_cpu_beta_vector": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # beta as a 1-element CPU tensor: fails on a GPU
        "edits": {"mine_trainer": [("self.m = (1 - self.beta) * L_.detach() + self.beta * self.m",
                                    "beta = torch.tensor([self.beta])\n"
                                    "        self.m = ((1 - beta) * L_.detach() + beta * self.m).reshape(())")]},
        "lose": ["test_mine_loss"],
    },
    "loss_beta_fixed": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # beta = 0.3 hard-coded: right for the visible check only
        "edits": {"mine_trainer": [("self.m = (1 - self.beta) * L_.detach() + self.beta * self.m",
                                    "self.m = 0.7 * L_.detach() + 0.3 * self.m")]},
        "lose": ["test_mine_loss"],
    },
    "estimate_with_replacement": {
        # indices drawn with replacement where the text asks for permutations
        "edits": {"mine_trainer": [("        idx_X = torch.randperm(self.n, device=self.X.device)\n"
                                    "        idx_Y = torch.randperm(self.n, device=self.Y.device)\n"
                                    "        t = self.net",
                                    "        idx_X = torch.randint(self.n, (self.n,), device=self.X.device)\n"
                                    "        idx_Y = torch.randint(self.n, (self.n,), device=self.Y.device)\n"
                                    "        t = self.net")]},
        "lose": ["test_mine_estimate"],
    },
    "estimate_mean_not_logsumexp": {
        # the mean of t on (X', Y') instead of log mean exp: blamed on the estimate now
        "edits": {"mine_trainer": [(_ESTIMATE, "return float(t.mean() - t_.mean())")]},
        "lose": ["test_mine_estimate", "test_mine_trainer"],
        "message": "estimate() must be (24)",
    },
    "estimate_one_batch": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # (24) on a tenth of the pairs only
        "edits": {"mine_trainer": [("t_ = self.net(self.X[idx_X], self.Y[idx_Y])",
                                    "k = self.n // 10\n        t_ = self.net(self.X[idx_X[:k]], self.Y[idx_Y[:k]])"),
                                   ("+ np.log(self.n))", "+ np.log(k))")]},
        "lose": ["test_mine_estimate"],
    },
    # --- alternative correct answers: full marks ---------------------------------
    "alt_resample_permutation": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # another draw of the generator: a permutation, or integers with replacement
        "edits": {"resample": [("index = rng.choice(data.shape[0], size=size, replace=replace)",
                                "n = data.shape[0]\n"
                                "    if replace:\n"
                                "        index = rng.integers(0, n, size=size)\n"
                                "    elif size > n:\n"
                                "        raise ValueError(f'cannot take {size} of {n} rows without replacement')\n"
                                "    else:\n"
                                "        index = rng.permutation(n)[:size]")]},
    },
    "alt_resample_torch_index": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"resample": [("    return data[index]",
                                "    return data[torch.as_tensor(index)] if torch.is_tensor(data) else data[index]")]},
    },
    "alt_plot_one_resample_call": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # both columns from one call on a column stack of independent index arrays
        "edits": {"plot_resampled_with_replacement": [
            ("XY_ = np.block([resample(XY[:, [0]], n_, replace=True), resample(XY[:, [1]], n_, replace=True)])",
             "i, j = rng.integers(0, n, n_), rng.integers(0, n, n_)\n    XY_ = np.stack([XY[i, 0], XY[j, 1]], axis=1)")]},
    },
    "alt_forward_column_stack": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"net": [("torch.cat([x, y], dim=-1)", "torch.column_stack([x, y])")]},
    },
    "alt_loss_log_space_item": {
        # L_ through logsumexp, and m kept as a Python number (.item() is a detach)
        "edits": {"mine_trainer": [("L_ = t_.exp().mean()",
                                    "L_ = torch.exp(torch.logsumexp(t_.flatten(), 0) - math.log(t_.numel()))"),
                                   ("(1 - self.beta) * L_.detach()", "(1 - self.beta) * L_.item()"),
                                   ("        t = self.net(batch_X, batch_Y)\n",
                                    "        import math\n        t = self.net(batch_X, batch_Y)\n")]},
    },
    "alt_estimate_permute_x_only_numpy": {
        # one permutation (of X, drawn by numpy) is enough: the pairs are resampled all the same
        "edits": {"mine_trainer": [("t_ = self.net(self.X[idx_X], self.Y[idx_Y])",
                                    "perm = torch.as_tensor(np.random.permutation(self.n), device=self.X.device)\n"
                                    "        t_ = self.net(self.X[perm], self.Y[: self.n])")]},
    },
    "alt_estimate_float64": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine_trainer": [(_ESTIMATE,
                                    "t, t_ = t.double().flatten(), t_.double().flatten()\n"
                                    "        return (t.mean() - torch.logsumexp(t_, 0) + math.log(len(t_))).item()"),
                                   ("        idx_X = torch.randperm(self.n, device=self.X.device)\n"
                                    "        idx_Y = torch.randperm(self.n, device=self.Y.device)\n"
                                    "        t = self.net",
                                    "        import math\n"
                                    "        idx_Y = torch.randperm(self.n, device=self.Y.device)\n"
                                    "        idx_X = torch.randperm(self.n, device=self.X.device)\n"
                                    "        t = self.net")]},
    },
    # --- the beta sweep ---------------------------------------------------------------
    "sweep_ignores_beta": {
        # every run at the default beta = 0.1
        "edits": {"sweep_beta": [(", n_iters_per_epoch=10, beta=beta)", ", n_iters_per_epoch=10)")]},
        "lose": ["test_sweep_beta"],
    },
    "sweep_seeded_once": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # torch seeded once before the loop: each beta starts from a different network
        "edits": {"sweep_beta": [("    runs = {}\n", "    runs = {}\n    torch.manual_seed(SEED)\n"),
                                 ("        torch.manual_seed(SEED)\n        trainer", "        trainer")]},
        "lose": ["test_sweep_beta"],
    },
    "sweep_never_seeded": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"sweep_beta": [("        torch.manual_seed(SEED)\n        trainer", "        trainer")]},
        "lose": ["test_sweep_beta"],
    },
    "sweep_fixed_epochs": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the notebook's epochs_high instead of the argument
        "edits": {"sweep_beta": [("train_and_watch(trainer, epochs)", "train_and_watch(trainer, epochs_high)")]},
        "lose": ["test_sweep_beta"],
    },
    "sweep_shared_network": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # one network for all betas: each run starts where the previous one stopped
        "edits": {"sweep_beta": [("    runs = {}\n", "    runs = {}\n    shared = Net().to(DEVICE)\n"),
                                 ("WatchedMINETrainer(X_high, Y_high, Net().to(DEVICE),",
                                  "WatchedMINETrainer(X_high, Y_high, shared,")]},
        "lose": ["test_sweep_beta"],
    },
    "sweep_plain_trainer": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # MINETrainer records no ratios
        "edits": {"sweep_beta": [("trainer = WatchedMINETrainer(", "trainer = MINETrainer(")]},
        "lose": ["test_sweep_beta"],
    },
    # --- the log-space moving average -------------------------------------------------
    "stable_wrong_weights": {
        # beta on the new term and 1 - beta on the old one
        "edits": {"stable_mine": [("np.log(self.beta) + self.log_m", "np.log(1 - self.beta) + self.log_m"),
                                  ("np.log(1 - self.beta) + ell.detach()", "np.log(self.beta) + ell.detach()")]},
        "lose": ["test_stable_loss"],
    },
    "stable_logaddexp_as_sum": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # adds the logs instead of the averages they stand for
        "edits": {"stable_mine": [("torch.logaddexp(np.log(self.beta) + self.log_m,",
                                   "((np.log(self.beta) + self.log_m) + ")]},
        "lose": ["test_stable_loss"],
    },
    "stable_log_m_not_detached": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the gradient then flows through the moving average: not that of (28)
        "edits": {"stable_mine": [("np.log(1 - self.beta) + ell.detach()", "np.log(1 - self.beta) + ell")]},
        "lose": ["test_stable_loss"],
    },
    "stable_log_mean_exp_naive": {
        # ell through exp: overflows for t around 1000 in float32
        "edits": {"stable_mine": [("ell = torch.logsumexp(t_marg, dim=0) - np.log(t_marg.numel())",
                                   "ell = t_marg.exp().mean().log()")]},
        "lose": ["test_stable_loss"],
    },
    "stable_no_penalty": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"stable_mine": [(" + self.lam * ell**2", "")]},
        "lose": ["test_stable_loss"],
    },
    "alt_stable_math_log": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the same loss written another way: math.log, log1p, a shifted logsumexp
        "edits": {"stable_mine": [
            ("ell = torch.logsumexp(t_marg, dim=0) - np.log(t_marg.numel())",
             "import math\n        ell = torch.logsumexp(t_marg - math.log(len(t_marg)), 0)"),
            ("torch.logaddexp(np.log(self.beta) + self.log_m,\n"
             "                                     np.log(1 - self.beta) + ell.detach())",
             "torch.logaddexp(self.log_m + math.log(self.beta), ell.detach() + math.log1p(-self.beta))"),
            ("return -t_joint.mean() + torch.exp(ell - self.log_m) + self.lam * ell**2",
             "return torch.exp(ell - self.log_m) - t_joint.mean() + self.lam * ell.pow(2)")]},
    },
    # --- tampering (grading/tamper.py) ----------------------------------------------
    "tamper_check_true": {
        # rows taken in order (not at random), and the check the tests call patched to
        # accept anything: every test from the answer cell on is zeroed, and flagged
        "edits": {"resample": [("    return data[index]",
                                "    return data[:size]\n\n\nimport helpers.checks\n"
                                "helpers.checks.check_true = lambda *args, **kwargs: None")]},
        "lose": "all",
        "review": True,
    },
}
