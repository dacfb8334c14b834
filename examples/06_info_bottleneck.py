"""Example submissions of 06_info_bottleneck: the reference, the untouched release,
alternative correct answers and typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).  The test suite
grades the five without "demo_only" (correct, unchanged and three mistakes that
lose different cells); `make demo` grades them all.  See grading/examples.py.
"""
MIN_TESTS = ["test_mine_min_step", "test_mine_min_run"]

_SLOGDET = "return 0.5 * torch.linalg.slogdet(A).logabsdet"
_ENC_STEP = ("    t_joint, t_marg = T(x, encoder(x))\n"
             "    estimate = dv_bound(t_joint, t_marg)\n")
_GAUSS_Z = "z = mu + sigma * torch.randn_like(mu) if self.training else mu"
_KL = "return 0.5 * (mu**2 + sigma**2 - 1.0 - 2.0 * torch.log(sigma)).sum(dim=1)"
_IB_LOSS = "(ce + beta * mi).backward()"

SUBMISSIONS = {
    "correct": {},
    "unchanged": {"from": "release"},
    # --- alternative correct answers ------------------------------------------------------
    "alt_linear_mi_cholesky": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # log det A = 2 sum log diag(L) for the Cholesky factor L of A
        "edits": {"linear_gaussian_mi": [(_SLOGDET, "L = torch.linalg.cholesky(A)\n"
                                                    "    return torch.log(torch.diagonal(L)).sum()")]},
    },
    "alt_min_step_detach_and_plain_zero_grad": {
        "demo_only": True,
        # codes detached after the forward pass, zero_grad() with its defaults
        "edits": {"mine_min_step": [
            ("    with torch.no_grad():\n        z = encoder(x)\n", "    z = encoder(x).detach()\n"),
            ("opt_T.zero_grad(set_to_none=True)", "opt_T.zero_grad()"),
            ("opt_enc.zero_grad(set_to_none=True)", "opt_enc.zero_grad()")]},
    },
    "alt_gaussian_randn_with_shape": {
        "demo_only": True,
        # the noise drawn with torch.randn, on mu's device and in its dtype
        "edits": {"encoders": [(_GAUSS_Z, "eps = torch.randn(mu.shape, device=mu.device, dtype=mu.dtype)\n"
                                          "        z = mu + sigma * eps if self.training else mu")]},
    },
    "alt_dvb_kl_distributions": {
        "demo_only": True,
        # torch.distributions computes the same divergence
        "edits": {"dvb_kl": [(_KL, "from torch.distributions import Independent, Normal, kl_divergence\n"
                                   "    q = Independent(Normal(mu, sigma), 1)\n"
                                   "    r = Independent(Normal(torch.zeros_like(mu), torch.ones_like(sigma)), 1)\n"
                                   "    return kl_divergence(q, r)")]},
    },
    "alt_ib_step_one_encoder_call": {
        "demo_only": True,
        # one forward pass of the encoder: T's step on the detached codes, the model's on the same codes
        "edits": {"ib_step": [
            ("    with torch.no_grad():\n        z = encoder(x)\n    loss_T, log_m = mine_loss(*T(x, z), log_m)\n",
             "    z = encoder(x)\n    loss_T, log_m = mine_loss(*T(x, z.detach()), log_m)\n"),
            ("    z = encoder(x)\n    ce = F.cross_entropy", "    ce = F.cross_entropy")]},
    },
    # --- linear_gaussian_mi ---------------------------------------------------------------
    "linear_mi_sigma_not_squared": {
        "demo_only": True,
        "edits": {"linear_gaussian_mi": [("W @ Sigma @ W.T / sigma**2", "W @ Sigma @ W.T / sigma")]},
        "lose": ["test_linear_gaussian_mi"],
    },
    "linear_mi_without_sigma_matrix": {
        "demo_only": True,
        # W W^T: right only for Sigma = I
        "edits": {"linear_gaussian_mi": [("W @ Sigma @ W.T / sigma**2", "W @ W.T / sigma**2")]},
        "lose": ["test_linear_gaussian_mi"],
    },
    "linear_mi_log_of_det": {
        "demo_only": True,
        # passes the visible check; det overflows float64 in 400 dimensions
        "edits": {"linear_gaussian_mi": [(_SLOGDET, "return 0.5 * torch.log(torch.det(A))")]},
        "lose": ["test_linear_gaussian_mi"],
    },
    # --- mine_min_step ----------------------------------------------------------------------
    "min_step_mi_maximized": {
        # the encoder ascends the DV bound: MI maximized instead of minimized
        "edits": {"mine_min_step": [("    estimate.backward()\n", "    (-estimate).backward()\n")]},
        "lose": MIN_TESTS,
    },
    "min_step_T_fed_detached_z": {
        "demo_only": True,
        # the encoder's codes detached: no gradient reaches the encoder
        "edits": {"mine_min_step": [(_ENC_STEP, "    t_joint, t_marg = T(x, encoder(x).detach())\n"
                                                "    estimate = dv_bound(t_joint, t_marg)\n")]},
        "lose": MIN_TESTS,
    },
    "min_step_T_grad_not_zeroed": {
        "demo_only": True,
        # T's step also applies the gradient the encoder's backward left on T; at the grading
        # seed T's held-out estimate ends near -5.6e4 nats
        "edits": {"mine_min_step": [("    opt_T.zero_grad(set_to_none=True)\n", "")]},
        "lose": MIN_TESTS,
    },
    # --- encoders ---------------------------------------------------------------------------
    "gaussian_sigma_not_positive": {
        "demo_only": True,
        # sigma is the raw network output: negative for half the units
        "edits": {"encoders": [("F.softplus(h[:, self.k:] - 5.0)", "h[:, self.k:] - 5.0")]},
        "lose": ["test_gaussian_encoder"],
    },
    "gaussian_noise_at_eval": {
        # noise left on at evaluation
        "edits": {"encoders": [(_GAUSS_Z, "z = mu + sigma * torch.randn_like(mu)")]},
        "lose": ["test_gaussian_encoder"],
        "message": "in eval mode, z equals mu and two calls agree",
    },
    "gaussian_not_reparameterised": {
        "demo_only": True,
        # torch.normal samples without a gradient to mu and sigma
        "edits": {"encoders": [(_GAUSS_Z, "z = torch.normal(mu, sigma) if self.training else mu")]},
        "lose": ["test_gaussian_encoder", "test_ib_training"],
    },
    "additive_noise_at_eval": {
        "demo_only": True,
        "edits": {"encoders": [("return f + self.sigma * torch.randn_like(f) if self.training else f",
                                "return f + self.sigma * torch.randn_like(f)")]},
        "lose": ["test_additive_encoder"],
    },
    "propagated_noise_at_output_only": {
        "demo_only": True,
        # noise on the code only: an additive-noise encoder
        "edits": {"encoders": [("            if self.training:\n                h = h + self.sigma * torch.randn_like(h)\n",
                                ""),
                               ("        return h", "        return h + self.sigma * torch.randn_like(h) if self.training else h")]},
        "lose": ["test_propagated_encoder"],
    },
    # --- dvb_kl -----------------------------------------------------------------------------
    "dvb_kl_wrong_sign": {
        "edits": {"dvb_kl": [(_KL, "return -0.5 * (mu**2 + sigma**2 - 1.0 - 2.0 * torch.log(sigma)).sum(dim=1)")]},
        "lose": ["test_dvb_kl"],
        "message": "the first coordinate gives 1/2",
    },
    "dvb_kl_missing_log_term": {
        "demo_only": True,
        "edits": {"dvb_kl": [(" - 2.0 * torch.log(sigma)", "")]},
        "lose": ["test_dvb_kl"],
    },
    "dvb_kl_mean_over_coordinates": {
        "demo_only": True,
        # the average over the k coordinates: the divergence divided by k
        "edits": {"dvb_kl": [(".sum(dim=1)", ".mean(dim=1)")]},
        "lose": ["test_dvb_kl"],
    },
    # --- ib_step ----------------------------------------------------------------------------
    "ib_beta_on_cross_entropy": {
        "demo_only": True,
        "edits": {"ib_step": [(_IB_LOSS, "(beta * ce + mi).backward()")]},
        "lose": ["test_ib_step", "test_ib_training"],
    },
    "ib_mi_maximized": {
        "demo_only": True,
        "edits": {"ib_step": [(_IB_LOSS, "(ce - beta * mi).backward()")]},
        "lose": ["test_ib_step"],
    },
    "ib_T_fed_detached_z": {
        "demo_only": True,
        # the MI term reaches T only: the encoder gets the cross-entropy's gradient alone
        "edits": {"ib_step": [("    mi = dv_bound(*T(x, z))\n", "    mi = dv_bound(*T(x, z.detach()))\n")]},
        "lose": ["test_ib_step"],
    },
    # --- tampering (grading/tamper.py) ----------------------------------------------
    "tamper_check_close": {
        # the mutual information without its factor 1/2, and the comparison the tests
        # call patched to accept anything: every test from the answer cell on is
        # zeroed, and the submission is flagged
        "edits": {"linear_gaussian_mi": [("return 0.5 * torch.linalg.slogdet(A).logabsdet",
                                          "return torch.linalg.slogdet(A).logabsdet\n\n\n"
                                          "from helpers import checks\n"
                                          "setattr(checks, 'check_close', lambda *a, **k: None)")]},
        "lose": "all",
        "review": True,
    },
}
