"""Example submissions of 03_minee: the reference, the untouched release, typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).
See grading/examples.py for the format.
"""
UNIFORM = "test_sample_reference_uniform"
GAUSSIAN = "test_sample_reference_gaussian"
COMBINE = "test_minee_combine"
NETWORKS = "test_minee_networks"
REFERENCE = "test_minee_reference"
DIVERGENCES = "test_minee_divergences"
LOSS = "test_minee_loss"
TRAINER = "test_minee_trainer"

# Pieces of the reference solution, as edits replace them.
_UNIFORM = "return low + (high - low) * torch.rand(size, d, device=data.device, dtype=data.dtype)"
_COV = "cov = centered.T @ centered / (data.shape[0] - 1)"
_DRAW = ("        X_ref = sample_reference(self.X, self.n_, self.reference)\n"
         "        Y_ref = sample_reference(self.Y, self.n_, self.reference)\n"
         "        return X_ref, Y_ref")
_LOSS = "return -(d_XY + d_X + d_Y)"
_DV = "return t.mean() - (torch.logsumexp(t_ref, dim=0) - math.log(t_ref.numel()))"
_RAND = "torch.rand(size, d, device=data.device, dtype=data.dtype)"
_RANDN = "torch.randn(size, d, device=data.device, dtype=data.dtype)"
_COMBINE = "return d_XY - d_X - d_Y"

SUBMISSIONS = {
    "correct": {},
    "unchanged": {"from": "release", "lose": "all"},
    # Other correct ways to write every part: full marks.
    "alternatives_correct": {
        "edits": {
            "sample_reference": [
                (_UNIFORM,
                 "u = torch.empty(size, d, device=data.device, dtype=data.dtype).uniform_(0, 1)\n"
                 "        return low + u * (high - low)"),
                ("        mean = data.mean(dim=0)\n"
                 "        centered = data - mean\n"
                 "        " + _COV + "\n"
                 "        L = torch.linalg.cholesky(cov)\n"
                 "        return mean + torch.randn(size, d, device=data.device, dtype=data.dtype) @ L.T",
                 "        cov = torch.atleast_2d(torch.cov(data.T))\n"
                 "        mvn = torch.distributions.MultivariateNormal(data.mean(0), covariance_matrix=cov)\n"
                 "        return mvn.sample((size,))"),
            ],
            "minee_trainer": [
                ("self.net_XY = Net(X.shape[1] + Y.shape[1], hidden_size).to(X.device)",
                 "self.net_XY = Net(input_size=X.shape[-1] + Y.shape[-1], hidden_size=hidden_size).to(self.X.device)"),
                (_DRAW,
                 "        return (sample_reference(self.X, self.n_, kind=self.reference),\n"
                 "                sample_reference(self.Y, size=self.n_, kind=self.reference))"),
                ("        d_XY, d_X, d_Y = self.divergences(batch_X, batch_Y, batch_X_ref, batch_Y_ref)\n"
                 "        # each network maximizes its own DV bound\n"
                 "        " + _LOSS,
                 "        return -self.divergences(batch_X, batch_Y, batch_X_ref, batch_Y_ref).sum()"),
                (_COMBINE, "return d_XY - (d_X + d_Y)"),
            ],
        },
    },
    # --- sample_reference -----------------------------------------------------------
    "uniform_unit_box": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # uniform on [0, 1]^d, whatever the data
        "edits": {"sample_reference": [(_UNIFORM, "return torch.rand(size, d, dtype=data.dtype)")]},
        "lose": [UNIFORM, REFERENCE, TRAINER],
    },
    "gaussian_diagonal": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the variance of each column, not the covariance matrix
        "edits": {"sample_reference": [("L = torch.linalg.cholesky(cov)",
                                        "L = torch.diag(cov.diagonal().sqrt())")]},
        "lose": [GAUSSIAN],
        "message": "Use the full covariance matrix of the data",
    },
    "gaussian_torch_cov": {
        # torch.cov of one column is 0-dimensional: cholesky fails for X of shape (n, 1)
        "edits": {"sample_reference": [(_COV, "cov = torch.cov(data.T)")]},
        "lose": [GAUSSIAN, REFERENCE, TRAINER],
    },
    "samples_drawn_once": {
        # caches the first samples for each data and kind, and returns them again
        "edits": {"sample_reference": [
            ("    d = data.shape[1]\n",
             "    key = (id(data), size, kind)\n"
             "    if key in _drawn:\n"
             "        return _drawn[key]\n"
             "    _drawn[key] = _sample(data, size, kind)\n"
             "    return _drawn[key]\n\n\n"
             "_drawn = {}\n\n\n"
             "def _sample(data, size, kind):\n"
             "    d = data.shape[1]\n")]},
        "lose": [UNIFORM, GAUSSIAN, REFERENCE],
        "message": "Draw new samples on every call",
    },
    # --- draw_reference ------------------------------------------------------------
    "reference_not_refreshed": {
        # draws the reference once and returns the same samples every epoch
        "edits": {"minee_trainer": [
            (_DRAW,
             "        if not hasattr(self, '_ref'):\n"
             "            self._ref = (sample_reference(self.X, self.n_, self.reference),\n"
             "                         sample_reference(self.Y, self.n_, self.reference))\n"
             "        return self._ref")]},
        "lose": [REFERENCE],
        "message": "two calls of draw_reference() return different samples: this does not hold",
    },
    "reference_joint_rows": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # rows of the joint data: a sample of P_XY, not of a product
        "edits": {"minee_trainer": [
            (_DRAW,
             "        idx = torch.randint(self.n, (self.n_,), device=self.X.device)\n"
             "        return self.X[idx], self.Y[idx]")]},
        "lose": [REFERENCE, TRAINER],
    },
    "reference_joint_gaussian": {
        # one reference fitted to (X, Y) together: with the Gaussian, not a product
        "edits": {"minee_trainer": [
            (_DRAW,
             "        XY_ref = sample_reference(torch.cat([self.X, self.Y], 1), self.n_, self.reference)\n"
             "        return XY_ref[:, : self.X.shape[1]], XY_ref[:, self.X.shape[1]:]")]},
        "lose": [REFERENCE, TRAINER],
        "message": "is not a product",
    },
    "reference_size_n": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # n samples instead of n'
        "edits": {"minee_trainer": [(_DRAW, _DRAW.replace("self.n_,", "self.n,"))]},
        "lose": [REFERENCE],
    },
    # --- networks ------------------------------------------------------------------
    "shared_marginal_network": {
        # one network for t_X and t_Y when X and Y have the same size
        "edits": {"minee_trainer": [
            ("self.net_Y = Net(Y.shape[1], hidden_size).to(X.device)",
             "self.net_Y = self.net_X if X.shape[1] == Y.shape[1] else Net(Y.shape[1], hidden_size).to(X.device)")]},
        "lose": [NETWORKS],
        "message": "Each divergence needs a network of its own",
    },
    # --- combine -------------------------------------------------------------------
    "combine_adds": {
        "edits": {"minee_trainer": [(_COMBINE, "return d_XY + d_X + d_Y")]},
        "lose": [COMBINE, TRAINER],
    },
    "combine_sign_of_d_Y": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"minee_trainer": [(_COMBINE, "return d_XY - d_X + d_Y")]},
        "lose": [COMBINE, TRAINER],
    },
    "combine_subtracts_d_X_twice": {
        # a slip that symmetric data (d_X close to d_Y) cannot reveal: the hidden test does
        "edits": {"minee_trainer": [(_COMBINE, "return d_XY - d_X - d_X")]},
        "lose": [COMBINE],
    },
    # --- loss ----------------------------------------------------------------------
    "loss_is_the_estimate": {
        # minimizes minus the MI estimate: t_X and t_Y then minimize their own bounds
        "edits": {"minee_trainer": [(_LOSS, "return -self.combine(d_XY, d_X, d_Y)")]},
        "lose": [LOSS, TRAINER],
        "message": "Each network maximizes its own DV bound",
    },
    "loss_joint_only": {
        # trains net_XY only: d_X and d_Y are never estimated
        "edits": {"minee_trainer": [(_LOSS, "return -d_XY")]},
        "lose": [LOSS, NETWORKS, TRAINER],
    },
    # --- issue 13: devices, dtypes, statistics, overflow, the batch -------------------
    "uniform_cpu_rand": {
        # random numbers made on the CPU whatever the data's device (fails on a GPU)
        "edits": {"sample_reference": [(_RAND, "torch.rand(size, d, dtype=data.dtype)")]},
        "lose": [UNIFORM, REFERENCE],
        "message": "samples of data on another device",
    },
    "gaussian_cpu_randn": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"sample_reference": [(_RANDN, "torch.randn(size, d, dtype=data.dtype)")]},
        "lose": [GAUSSIAN, REFERENCE],
    },
    "gaussian_float32": {
        # computes the Gaussian reference in float32 whatever the data's dtype
        "edits": {"sample_reference": [("        mean = data.mean(dim=0)\n",
                                        "        data = data.float()\n        mean = data.mean(dim=0)\n"),
                                       (_RANDN, "torch.randn(size, d, device=data.device)")]},
        "lose": [GAUSSIAN, REFERENCE],
        "message": "float64",
    },
    "uniform_float32": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"sample_reference": [("low, high = data.min(dim=0).values, data.max(dim=0).values",
                                        "low, high = data.float().min(dim=0).values, data.float().max(dim=0).values"),
                                       (_RAND, "torch.rand(size, d, device=data.device)")]},
        "lose": [UNIFORM],
    },
    "gaussian_cov_over_n": {
        # the covariance with 1/n: 2/3 of the unbiased one on the hidden test's three points
        "edits": {"sample_reference": [(_COV, "cov = centered.T @ centered / data.shape[0]")]},
        "lose": [GAUSSIAN],
        "message": "1/(n - 1)",
    },
    "networks_on_cpu": {
        # networks left on the CPU whatever the data's device
        "edits": {"minee_trainer": [
            ("self.net_XY = Net(X.shape[1] + Y.shape[1], hidden_size).to(X.device)",
             "self.net_XY = Net(X.shape[1] + Y.shape[1], hidden_size)"),
            ("self.net_X = Net(X.shape[1], hidden_size).to(X.device)", "self.net_X = Net(X.shape[1], hidden_size)"),
            ("self.net_Y = Net(Y.shape[1], hidden_size).to(X.device)", "self.net_Y = Net(Y.shape[1], hidden_size)")]},
        "lose": [NETWORKS],
        "message": "Move each network to X.device",
    },
    "hidden_size_ignored": {
        "edits": {"minee_trainer": [
            ("self.net_XY = Net(X.shape[1] + Y.shape[1], hidden_size).to(X.device)",
             "self.net_XY = Net(X.shape[1] + Y.shape[1]).to(X.device)"),
            ("self.net_X = Net(X.shape[1], hidden_size).to(X.device)", "self.net_X = Net(X.shape[1]).to(X.device)"),
            ("self.net_Y = Net(Y.shape[1], hidden_size).to(X.device)", "self.net_Y = Net(Y.shape[1]).to(X.device)")]},
        "lose": [NETWORKS],
        "message": "Pass hidden_size to Net",
    },
    "reference_float32": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"minee_trainer": [("        return X_ref, Y_ref", "        return X_ref.float(), Y_ref.float()")]},
        "lose": [REFERENCE],
    },
    "divergences_overflow": {
        # exp(t).mean().log(): inf for t above 88 in float32
        "edits": {"minee_trainer": [(_DV, "return t.mean() - t_ref.exp().mean().log()")]},
        "lose": [DIVERGENCES, LOSS],
        "message": "torch.logsumexp",
    },
    "divergences_data_as_reference": {
        # the data in place of the reference samples: every bound is about 0
        "edits": {"minee_trainer": [
            ("dv(t_XY[:m], t_XY[m:]), dv(t_X[:m], t_X[m:]), dv(t_Y[:m], t_Y[m:])",
             "dv(t_XY[:m], t_XY[:m]), dv(t_X[:m], t_X[:m]), dv(t_Y[:m], t_Y[:m])")]},
        "lose": [DIVERGENCES, LOSS, TRAINER],
    },
    "divergences_detached": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # numbers, not a tensor that gradients flow through: nothing trains
        "edits": {"minee_trainer": [
            ("return torch.stack([dv(t_XY[:m], t_XY[m:]), dv(t_X[:m], t_X[m:]), dv(t_Y[:m], t_Y[m:])])",
             "return torch.tensor([float(dv(t_XY[:m], t_XY[m:])), float(dv(t_X[:m], t_X[m:])), "
             "float(dv(t_Y[:m], t_Y[m:]))])")]},
        "lose": [DIVERGENCES, LOSS, NETWORKS, TRAINER],
    },
    "divergences_stored_data": {
        # the trainer's whole data in place of the samples it is given
        "edits": {"minee_trainer": [("        m = X.shape[0]\n", "        X, Y = self.X, self.Y\n        m = X.shape[0]\n")]},
        "lose": [DIVERGENCES, LOSS],
    },
    "divergences_no_log": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # the mean of exp(t) without its log (a slip the course text makes in (31))
        "edits": {"minee_trainer": [(_DV, "return t.mean() - t_ref.exp().mean()")]},
        "lose": [DIVERGENCES, LOSS, TRAINER],
    },
    "loss_ignores_batch": {
        # the trainer's whole data, not the batch it is given: training still converges
        "edits": {"minee_trainer": [
            ("d_XY, d_X, d_Y = self.divergences(batch_X, batch_Y, batch_X_ref, batch_Y_ref)",
             "d_XY, d_X, d_Y = self.divergences(self.X, self.Y, batch_X_ref, batch_Y_ref)")]},
        "lose": [LOSS],
        "message": "the batch",
    },
    "loss_draws_own_reference": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"minee_trainer": [
            ("d_XY, d_X, d_Y = self.divergences(batch_X, batch_Y, batch_X_ref, batch_Y_ref)",
             "X_ref, Y_ref = self.draw_reference()\n"
             "        d_XY, d_X, d_Y = self.divergences(batch_X, batch_Y, X_ref[: len(batch_X)], Y_ref[: len(batch_X)])")]},
        "lose": [LOSS],
    },
    "loss_cpu_weights": {
        # a constant weight vector made on the CPU whatever the data's device
        "edits": {"minee_trainer": [(_LOSS, "return -(torch.ones(3) * torch.stack([d_XY, d_X, d_Y])).sum()")]},
        "lose": [LOSS],
        "message": "another device",
    },
    # --- issue 13: other correct answers (full marks) ------------------------------------
    "alt_loss_mean": {
        # minus the mean of the three bounds: each network still ascends its own bound
        "edits": {"minee_trainer": [(_LOSS, "return -(d_XY + d_X + d_Y) / 3")]},
    },
    "alt_loss_weighted": {
        "demo_only": True,  # graded by make demo, not by the test suite
        "edits": {"minee_trainer": [(_LOSS, "return -(2 * d_XY + d_X + 0.5 * d_Y)")]},
    },
    "alt_distributions_float64": {
        # torch.distributions for both kinds, the covariance in float64, the deprecated torch.cholesky
        "edits": {"sample_reference": [
            (_UNIFORM, "return torch.distributions.Uniform(low, high).sample((size,))"),
            ("L = torch.linalg.cholesky(cov)", "L = torch.cholesky(cov.double()).to(data.dtype)")]},
    },
    "alt_rng_order_looped": {
        # Y_ref drawn before X_ref; each bound computed in its own loop, without concatenation;
        # combine builds a new tensor (a UserWarning on tensors, not an error)
        "edits": {"minee_trainer": [
            (_DRAW, "        Y_ref = sample_reference(self.Y, self.n_, self.reference)\n"
                    "        X_ref = sample_reference(self.X, self.n_, self.reference)\n"
                    "        return X_ref, Y_ref"),
            ("        return torch.stack([dv(t_XY[:m], t_XY[m:]), dv(t_X[:m], t_X[m:]), dv(t_Y[:m], t_Y[m:])])",
             "        bounds = []\n"
             "        for net, a, a_ref in [(self.net_XY, (X, Y), (X_ref, Y_ref)), (self.net_X, (X,), (X_ref,)),\n"
             "                              (self.net_Y, (Y,), (Y_ref,))]:\n"
             "            t, t_ref = net(*a).squeeze(-1), net(*a_ref).squeeze(-1)\n"
             "            n_ref = torch.tensor(float(len(t_ref)), device=t.device, dtype=t.dtype)\n"
             "            bounds.append(t.mean() - torch.logsumexp(t_ref, 0) + torch.log(n_ref))\n"
             "        return torch.stack(bounds)"),
            (_COMBINE, "return torch.tensor(d_XY - d_X - d_Y)")]},
    },
    "alt_uniform_empty": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # uniform_ on an empty tensor, and the Gaussian noise drawn with torch.normal
        "edits": {"sample_reference": [
            (_RAND, "torch.empty(size, d, device=data.device, dtype=data.dtype).uniform_()"),
            (_RANDN, "torch.normal(0.0, 1.0, (size, d), device=data.device, dtype=data.dtype)")]},
    },
    # --- tampering (grading/tamper.py) ----------------------------------------------
    "tamper_check_between": {
        # the uniform reference on [0, 1]^d whatever the data, and the range check patched
        # to accept anything: every test from the answer cell on is zeroed, and flagged
        "edits": {"sample_reference": [("return low + (high - low) * torch.rand(",
                                        "helpers.checks.check_between = lambda *a, **k: None\n"
                                        "        return torch.rand(")]},
        "lose": "all",
        "review": True,
    },
}
