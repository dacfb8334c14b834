"""Example submissions of 04_mine_paper: the reference, the untouched release,
alternative correct answers and typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).
See grading/examples.py for the format.
"""
MINE_TESTS = ["test_mine_loss_modes", "test_mine_mi", "test_mine_optimize"]

_DV = "return t_joint.mean() - (torch.logsumexp(t_marg, dim=0) - math.log(t_marg.shape[0]))"
_FDIV = "return t_joint.mean() - torch.exp(t_marg - 1).mean()"
_NEW_LOG_M = ("new_log_m = torch.logaddexp(math.log(beta) + log_m, "
              "math.log(1 - beta) + log_L_.detach())")
_MI_BODY = ("            t_joint, t_marg = self.t(X, Y), self.t(X, Y[perm])\n"
            "            bound = fdiv_bound if self.loss_type == \"fdiv\" else dv_bound\n"
            "            return float(bound(t_joint, t_marg))")
_KSG_DIST = ("    dx = torch.cdist(X, X, p=float(\"inf\"))\n"
             "    dy = torch.cdist(Y, Y, p=float(\"inf\"))\n")
_EQ_GRID = "y = np.linspace(fx.min() - 10 * sigma, fx.max() + 10 * sigma, 4001)"

SUBMISSIONS = {
    "correct": {},
    "unchanged": {"from": "release"},
    # --- alternative correct answers ------------------------------------------------
    "alt_dv_numel_and_fdiv_sum": {
        "edits": {
            "dv_bound": [(_DV, "n_ = t_marg.numel()\n"
                               "    return t_joint.mean() - t_marg.logsumexp(0) + math.log(n_)")],
            "fdiv_bound": [(_FDIV, "return t_joint.mean() - (t_marg - 1).exp().sum() / len(t_marg)")],
        },
    },
    "alt_mi_two_permutations": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # X' and Y' from two independent permutations, as notebook 02 resamples
        "edits": {"mine": [(_MI_BODY,
                            "            idx_x = torch.randperm(X.shape[0], device=X.device)\n"
                            "            idx_y = torch.randperm(X.shape[0], device=X.device)\n"
                            "            t_joint, t_marg = self.t(X, Y), self.t(X[idx_x], Y[idx_y])\n"
                            "            if self.loss_type == \"fdiv\":\n"
                            "                return fdiv_bound(t_joint, t_marg).item()\n"
                            "            return dv_bound(t_joint, t_marg).item()")]},
    },
    "alt_optimize_permutation_batches": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # batches as slices of random permutations (without replacement within a batch)
        "edits": {"mine": [(
            "            i, j, k = torch.randint(n, (3, batch_size), device=X.device)\n",
            "            i = torch.randperm(n, device=X.device)[:batch_size]\n"
            "            j = torch.randperm(n, device=X.device)[:batch_size]\n"
            "            k = torch.randperm(n, device=X.device)[:batch_size]\n")]},
    },
    "alt_ksg_joint_cdist": {
        # the max-norm in z = (x, y) directly: the same as the maximum of the two
        "edits": {"ksg": [
            ("    dz = torch.maximum(dx, dy)\n",
             "    dz = torch.cdist(torch.cat([X, Y], 1), torch.cat([X, Y], 1), p=float(\"inf\"))\n"),
            ("    return (dx < eps).sum(dim=1) - 1, (dy < eps).sum(dim=1) - 1  # minus z_i itself",
             "    off = ~torch.eye(X.shape[0], dtype=torch.bool)\n"
             "    return ((dx < eps) & off).sum(dim=1), ((dy < eps) & off).sum(dim=1)"),
        ]},
    },
    "alt_equitability_trapezoid": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # scipy's normal density and the trapezoid rule
        "edits": {"equitability_mi": [
            ("    p = np.zeros_like(y)\n"
             "    for chunk in np.array_split(fx, 20):  # p(y) = mean over x of phi_sigma(y - f(x))\n"
             "        p += np.exp(-((y[:, None] - chunk[None, :]) ** 2) / (2 * sigma**2)).sum(axis=1)\n"
             "    p /= len(fx) * math.sqrt(2 * math.pi) * sigma\n"
             "    positive = p > 0\n"
             "    h_y = -float(np.sum(p[positive] * np.log(p[positive]))) * (y[1] - y[0])\n",
             "    from scipy.stats import norm\n"
             "    p = np.array([norm.pdf(yi, loc=fx, scale=sigma).mean() for yi in y])\n"
             "    h_y = float(np.trapezoid(-p * np.log(np.where(p > 0, p, 1.0)), y))\n"),
        ]},
    },
    # --- readme_data ------------------------------------------------------------------
    "readme_one_sample": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the README's call: no size, so one sample
        "edits": {"readme_data": [(", size=n)", ")")]},
        "lose": ["test_readme_data"],
    },
    "readme_1d_columns": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"readme_data": [("joint_samples[:, [0]]", "joint_samples[:, 0]"),
                                  ("joint_samples[:, [1]]", "joint_samples[:, 1]")]},
        "lose": ["test_readme_data"],
    },
    "readme_float64": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"readme_data": [("torch.tensor(joint_samples[:, [0]], dtype=torch.float32)",
                                   "torch.tensor(joint_samples[:, [0]])"),
                                  ("torch.tensor(joint_samples[:, [1]], dtype=torch.float32)",
                                   "torch.tensor(joint_samples[:, [1]])")]},
        "lose": ["test_readme_data"],
    },
    "readme_global_rng": {
        # passes the visible checks; draws from numpy's global generator, not rng
        "edits": {"readme_data": [("rng.multivariate_normal(", "np.random.multivariate_normal(")]},
        "lose": ["test_readme_data"],
    },
    # --- dv_bound -------------------------------------------------------------------------
    "dv_exp_mean_log": {
        # the reproduction's exp().mean().log(): overflows for t near 1000
        "edits": {"dv_bound": [(_DV, "return t_joint.mean() - t_marg.exp().mean().log()")]},
        "lose": ["test_dv_bound", "test_mine_mi"],
        "message": 'use torch.logsumexp(t_marg, 0)',
    },
    "dv_missing_log_n": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"dv_bound": [(" - math.log(t_marg.shape[0])", "")]},
        "lose": ["test_dv_bound", "test_fdiv_bound", *MINE_TESTS],
    },
    "dv_length_of_joint": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # log of the joint batch's length: wrong when the two lengths differ
        "edits": {"dv_bound": [("math.log(t_marg.shape[0])", "math.log(t_joint.shape[0])")]},
        "lose": ["test_dv_bound", "test_fdiv_bound"],
    },
    # --- fdiv_bound -------------------------------------------------------------------------
    "fdiv_without_minus_one": {
        "edits": {"fdiv_bound": [("torch.exp(t_marg - 1)", "torch.exp(t_marg)")]},
        "lose": ["test_fdiv_bound", *MINE_TESTS],
    },
    "fdiv_exp_over_e": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # right in exact arithmetic, but exp(t) overflows float32 before exp(t - 1) does
        "edits": {"fdiv_bound": [("torch.exp(t_marg - 1).mean()", "torch.exp(t_marg).mean() / math.e")]},
        "lose": ["test_fdiv_bound"],
    },
    "fdiv_with_log": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # a DV-like log in the f-divergence bound
        "edits": {"fdiv_bound": [("torch.exp(t_marg - 1).mean()", "torch.exp(t_marg - 1).mean().log()")]},
        "lose": ["test_fdiv_bound", *MINE_TESTS],
    },
    # --- mine_loss ----------------------------------------------------------------------------
    "mine_loss_linear_space": {
        # the moving average of (27) in linear space: exp(1000) overflows
        "edits": {"mine_loss": [
            (_NEW_LOG_M + "\n    return -t_joint.mean() + torch.exp(log_L_ - new_log_m), new_log_m",
             "L_ = torch.exp(t_marg).mean()\n"
             "    m = (1 - beta) * L_.detach() + beta * torch.exp(log_m)\n"
             "    return -t_joint.mean() + L_ / m, torch.log(m)")]},
        "lose": ["test_mine_loss"],
    },
    "mine_loss_beta_swapped": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # beta on the new batch instead of the old average (the visible check uses beta = 0.5)
        "edits": {"mine_loss": [(_NEW_LOG_M,
                                 "new_log_m = torch.logaddexp(math.log(1 - beta) + log_m, "
                                 "math.log(beta) + log_L_.detach())")]},
        "lose": ["test_mine_loss", "test_mine_loss_modes"],
    },
    "mine_loss_not_detached": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine_loss": [("math.log(1 - beta) + log_L_.detach())", "math.log(1 - beta) + log_L_)")]},
        # optimize backpropagates through the running average twice: test_mine_mi, which trains, fails too
        "lose": ["test_mine_loss", "test_mine_loss_modes", "test_mine_mi", "test_mine_optimize"],
    },
    "mine_loss_plain_dv": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the biased loss in place of the corrected one (the average is still updated)
        "edits": {"mine_loss": [("return -t_joint.mean() + torch.exp(log_L_ - new_log_m), new_log_m",
                                 "return -t_joint.mean() + log_L_, new_log_m")]},
        "lose": ["test_mine_loss", "test_mine_loss_modes"],
    },
    # --- Mine -----------------------------------------------------------------------------------
    "mine_biased_and_corrected_swapped": {
        "edits": {"mine": [('if self.loss_type == "mine":', 'if self.loss_type == "mine_biased":'),
                           ('if self.loss_type == "mine_biased":\n            return -dv_bound',
                            'if self.loss_type == "mine":\n            return -dv_bound')]},
        "lose": ["test_mine_loss_modes"],
        "message": "'mine_biased' minimizes minus the DV bound of t on the two batches",
    },
    "mi_updates_moving_average": {
        # mi goes through the training loss and so moves the average
        "edits": {"mine": [(_MI_BODY,
                            "            t_joint, t_marg = self.t(X, Y), self.t(X, Y[perm])\n"
                            "            if self.loss_type == \"mine\":\n"
                            "                self.loss(X, Y, X, Y[perm])\n"
                            "            bound = fdiv_bound if self.loss_type == \"fdiv\" else dv_bound\n"
                            "            return float(bound(t_joint, t_marg))")]},
        "lose": ["test_mine_mi"],
        "message": 'mi must not update the moving average',
    },
    "mi_without_permutation": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # t_marg on the joint pairs themselves: the estimate is about 0
        "edits": {"mine": [("self.t(X, Y[perm])", "self.t(X, Y)")]},
        "lose": ["test_mine_mi", "test_mine_optimize"],
    },
    "mi_fdiv_reports_dv": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine": [('bound = fdiv_bound if self.loss_type == "fdiv" else dv_bound', "bound = dv_bound")]},
        "lose": ["test_mine_mi"],
    },
    "optimize_same_marginal_indices": {
        # X' and Y' share their indices: the marginal batch is a joint batch
        "edits": {"mine": [("self.loss(X[i], Y[i], X[j], Y[k])", "self.loss(X[i], Y[i], X[j], Y[j])")]},
        "lose": ["test_mine_optimize"],
    },
    "fdiv_loss_maximized": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # 'fdiv' returns the bound itself, so the optimizer minimizes it
        "edits": {"mine": [("return -fdiv_bound(t_joint, t_marg)", "return fdiv_bound(t_joint, t_marg)")]},
        "lose": ["test_mine_loss_modes", "test_mine_optimize"],
    },
    # --- KSG -------------------------------------------------------------------------------------
    "ksg_euclidean": {
        "edits": {"ksg": [(_KSG_DIST, "    dx = torch.cdist(X, X)\n    dy = torch.cdist(Y, Y)\n"),
                          ("    dz = torch.maximum(dx, dy)\n",
                           "    dz = torch.cdist(torch.cat([X, Y], 1), torch.cat([X, Y], 1))\n")]},
        "lose": ["test_ksg_counts", "test_ksg"],
    },
    "ksg_counts_the_point_itself": {
        "edits": {"ksg": [("    return (dx < eps).sum(dim=1) - 1, (dy < eps).sum(dim=1) - 1  # minus z_i itself",
                           "    return (dx < eps).sum(dim=1), (dy < eps).sum(dim=1)")]},
        "lose": ["test_ksg_counts", "test_ksg"],
    },
    "ksg_self_as_neighbour": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the diagonal left at 0: eps_i is the (k-1)-th other neighbour
        "edits": {"ksg": [("    dz.fill_diagonal_(float(\"inf\"))  # z_i is not its own neighbour\n", "")]},
        "lose": ["test_ksg_counts", "test_ksg"],
    },
    "ksg_not_strict": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"ksg": [("(dx < eps)", "(dx <= eps)"), ("(dy < eps)", "(dy <= eps)")]},
        "lose": ["test_ksg_counts", "test_ksg"],
    },
    "ksg_digamma_of_counts": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # psi(n_x) instead of psi(n_x + 1): psi(0) is infinite
        "edits": {"ksg": [("(psi(n_x + 1.0) + psi(n_y + 1.0))", "(psi(n_x * 1.0) + psi(n_y * 1.0))")]},
        "lose": ["test_ksg"],
    },
    # --- equitability_mi ---------------------------------------------------------------------------
    "equitability_range_too_small": {
        # y only over the range of f plus one sigma: the tails of p(y) are cut off
        "edits": {"equitability_mi": [(_EQ_GRID, "y = np.linspace(fx.min() - sigma, fx.max() + sigma, 4001)")]},
        "lose": ["test_equitability_mi"],
    },
    "equitability_no_conditional_entropy": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"equitability_mi": [("return h_y - 0.5 * math.log(2 * math.pi * math.e * sigma**2)",
                                       "return h_y")]},
        "lose": ["test_equitability_mi"],
    },
    "equitability_coarse_x_grid": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # passes the visible check (f = 0); 20 points in x make p(y) bumpy at sigma = 0.1
        "edits": {"equitability_mi": [("x = np.linspace(-1, 1, 2001)", "x = np.linspace(-1, 1, 21)")]},
        "lose": ["test_equitability_mi"],
    },
    "equitability_in_bits": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"equitability_mi": [("np.log(p[positive])", "np.log2(p[positive])"),
                                      ("0.5 * math.log(2 * math.pi * math.e * sigma**2)",
                                       "0.5 * math.log2(2 * math.pi * math.e * sigma**2)")]},
        "lose": ["test_equitability_mi"],
    },
    # --- issue 25: mistakes the earlier tests did not look at ------------------------------------
    "readme_reseeded_generator": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # a new generator seeded inside: the notebook's "test" pairs repeat the training pairs
        "edits": {"readme_data": [("joint_samples = rng.multivariate_normal(",
                                   "rng = np.random.default_rng(SEED)\n    joint_samples = rng.multivariate_normal(")]},
        "lose": ["test_readme_data"],
    },
    "readme_seeded_by_n": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"readme_data": [("joint_samples = rng.multivariate_normal(",
                                   "joint_samples = np.random.default_rng(n).multivariate_normal(")]},
        "lose": ["test_readme_data"],
    },
    "readme_unit_noise": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # Y = 0.2 X + noise of standard deviation 1: variance 1.04
        "edits": {"readme_data": [("    Y = torch.tensor(joint_samples[:, [1]], dtype=torch.float32)\n",
                                   "    Y = torch.tensor(0.2 * joint_samples[:, [0]] + rng.standard_normal((n, 1)), "
                                   "dtype=torch.float32)\n")]},
        "lose": ["test_readme_data"],
    },
    "readme_noise_variance_as_std": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the noise's variance 0.96 used as its standard deviation: variance of Y 0.96
        "edits": {"readme_data": [("    Y = torch.tensor(joint_samples[:, [1]], dtype=torch.float32)\n",
                                   "    Y = torch.tensor(0.2 * joint_samples[:, [0]] + 0.96 * rng.standard_normal((n, 1)), "
                                   "dtype=torch.float32)\n")]},
        "lose": ["test_readme_data"],
    },
    "alt_readme_from_standard_normals": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"readme_data": [("    Y = torch.tensor(joint_samples[:, [1]], dtype=torch.float32)\n",
                                   "    Y = torch.tensor(0.2 * joint_samples[:, [0]] + math.sqrt(1 - 0.2**2) * "
                                   "rng.standard_normal((n, 1)), dtype=torch.float32)\n")]},
    },
    "mi_on_training_pairs": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # optimize keeps the training pairs and mi evaluates on them
        "edits": {"mine": [("        n = X.shape[0]\n", "        n = X.shape[0]\n        self.X_train, self.Y_train = X, Y\n"),
                           ("        with torch.no_grad():\n            perm",
                            "        if hasattr(self, \"X_train\"):\n            X, Y = self.X_train, self.Y_train\n"
                            "        with torch.no_grad():\n            perm")]},
        "lose": ["test_mine_mi"],
    },
    "mi_marginal_with_replacement": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine": [("perm = torch.randperm(X.shape[0], device=X.device)",
                            "perm = torch.randint(X.shape[0], (X.shape[0],), device=X.device)")]},
        "lose": ["test_mine_mi"],
    },
    "mi_both_with_replacement": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine": [(_MI_BODY, "            j = torch.randint(X.shape[0], (X.shape[0],), device=X.device)\n" + _MI_BODY.replace("self.t(X, Y[perm])", "self.t(X[j], Y[perm])"))
                           , ("perm = torch.randperm(X.shape[0], device=X.device)",
                              "perm = torch.randint(X.shape[0], (X.shape[0],), device=X.device)")]},
        "lose": ["test_mine_mi"],
    },
    "alt_mi_permute_x": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"mine": [("self.t(X, Y[perm])", "self.t(X[perm], Y)")]},
    },
    "optimize_all_pairs_each_step": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # batch_size ignored: every step draws n joint and n marginal rows
        "edits": {"mine": [("i, j, k = torch.randint(n, (3, batch_size), device=X.device)",
                            "i, j, k = torch.randint(n, (3, n), device=X.device)")]},
        "lose": ["test_mine_optimize"],
    },
    "optimize_full_joint_batch": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the joint batch is the whole training set; only the marginal batch has batch_size rows
        "edits": {"mine": [("self.loss(X[i], Y[i], X[j], Y[k])", "self.loss(X, Y, X[j], Y[k])")]},
        "lose": ["test_mine_optimize"],
    },
    "equitability_range_from_endpoints": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # f(-1) and f(1) as the range of f: right for increasing f only
        "edits": {"equitability_mi": [(_EQ_GRID, "y = np.linspace(f(-1.0) - 10 * sigma, f(1.0) + 10 * sigma, 4001)")]},
        "lose": ["test_equitability_mi"],
    },
    "equitability_range_from_sorted_endpoints": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # min and max of f(-1), f(1): right for monotone f only (x^2 has its minimum at 0)
        "edits": {"equitability_mi": [(_EQ_GRID, "lo, hi = sorted([f(-1.0), f(1.0)])\n"
                                                 "    y = np.linspace(lo - 10 * sigma, hi + 10 * sigma, 4001)")]},
        "lose": ["test_equitability_mi"],
    },
    # --- tampering (grading/tamper.py) ----------------------------------------------
    "tamper_check_between": {
        # a correlation of 0.5, and the range check patched to accept anything: every
        # test from the answer cell on is zeroed, and the submission is flagged
        "edits": {"readme_data": [("cov=[[1.0, 0.2], [0.2, 1.0]]", "cov=[[1.0, 0.5], [0.5, 1.0]]"),
                                  ("    return X, Y",
                                   "    return X, Y\n\n\nimport helpers.checks as hc\n"
                                   "hc.check_between = lambda *args, **kwargs: None")]},
        "lose": "all",
        "review": True,
    },
}
