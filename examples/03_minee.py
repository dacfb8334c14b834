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
LOSS = "test_minee_loss"
TRAINER = "test_minee_trainer"

# Pieces of the reference solution, as edits replace them.
_UNIFORM = "return low + (high - low) * torch.rand(size, d, device=data.device, dtype=data.dtype)"
_COV = "cov = centered.T @ centered / (data.shape[0] - 1)"
_DRAW = ("        X_ref = sample_reference(self.X, self.n_, self.reference)\n"
         "        Y_ref = sample_reference(self.Y, self.n_, self.reference)\n"
         "        return X_ref, Y_ref")
_LOSS = "return -(d_XY + d_X + d_Y)"
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
        # uniform on [0, 1]^d, whatever the data
        "edits": {"sample_reference": [(_UNIFORM, "return torch.rand(size, d, dtype=data.dtype)")]},
        "lose": [UNIFORM, REFERENCE, TRAINER],
    },
    "gaussian_diagonal": {
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
        "message": "draw new ones on every call",
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
        "message": "returned the same samples",
    },
    "reference_joint_rows": {
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
        "message": "share parameters",
    },
    # --- combine -------------------------------------------------------------------
    "combine_adds": {
        "edits": {"minee_trainer": [(_COMBINE, "return d_XY + d_X + d_Y")]},
        "lose": [COMBINE, TRAINER],
    },
    "combine_sign_of_d_Y": {
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
}
