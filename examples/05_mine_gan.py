"""Example submissions of 05_mine_gan: the reference, the untouched release,
alternative correct answers and typical mistakes.

Each id says what the submission does; "lose" lists the test cells that must
score zero (every other autograded cell must score full marks).  The test suite
grades those without "demo_only" (correct, unchanged and three mistakes that
lose different cells); `make demo` grades them all.  See grading/examples.py.
"""
STEP_TESTS = ["test_gan_mine_step"]

_RADIUS = "good = distance <= 3.0 * std"
_KL = "    p = counts / counts.sum()\n    p = p[p > 0]\n    return float(good.mean()), covered, float((p * np.log(K * p)).sum())"
_ONE_HOT = "c = F.one_hot(labels, k).float()"
_SCALE = "scale = torch.clamp(ga.norm() / torch.clamp(gm.norm(), min=1e-30), max=1.0)"
_GRADS = ("    g_adv = torch.autograd.grad(loss_adv, params, retain_graph=True)\n"
          "    g_mi = torch.autograd.grad(-beta * mi, params)\n")

SUBMISSIONS = {
    "correct": {},
    "unchanged": {"from": "release"},
    # --- alternative correct answers ------------------------------------------------------
    "alt_mode_metrics_scipy_entropy": {
        "demo_only": True,  # graded by make demo, not by the test suite
        # scipy's relative entropy of the full histogram (zeros included) to the uniform one
        "edits": {"mode_metrics": [(_KL, "    from scipy.stats import entropy\n"
                                         "    return float(good.mean()), covered, "
                                         "float(entropy(counts / counts.sum(), np.full(K, 1.0 / K)))")]},
    },
    "alt_sample_latent_eye_rows": {
        "demo_only": True,
        # rows of the identity matrix are the one-hot codes
        "edits": {"sample_latent": [(_ONE_HOT, "c = torch.eye(k, device=device)[labels]")]},
    },
    "alt_clip_where": {
        "demo_only": True,
        # the ratio only where the MI gradient is the larger: never a division by zero that is kept
        "edits": {"clip_mi_grad": [(_SCALE, "scale = torch.where(gm.norm() > ga.norm(), ga.norm() / gm.norm(), "
                                            "torch.ones((), device=gm.device))")]},
    },
    "alt_step_two_backward_passes": {
        "demo_only": True,
        # the generator's two gradients from .backward() and .grad instead of autograd.grad
        "edits": {"gan_mine_step": [(_GRADS, "    opt_G.zero_grad(set_to_none=True)\n"
                                             "    loss_adv.backward(retain_graph=True)\n"
                                             "    g_adv = [p.grad.clone() for p in params]\n"
                                             "    opt_G.zero_grad(set_to_none=True)\n"
                                             "    (-beta * mi).backward()\n"
                                             "    g_mi = [p.grad.clone() for p in params]\n")]},
    },
    "alt_step_detach_instead_of_no_grad": {
        "demo_only": True,
        "edits": {"gan_mine_step": [("    with torch.no_grad():\n        fake = G(z)\n", "    fake = G(z).detach()\n")]},
    },
    # --- mode_metrics -------------------------------------------------------------------------
    "mode_radius_one_std": {
        # high quality within 1 std instead of 3
        "edits": {"mode_metrics": [(_RADIUS, "good = distance <= std")]},
        "lose": ["test_mode_metrics"],
        "message": "A sample is good when it is within 3 std",
    },
    "mode_covered_strictly_more": {
        "demo_only": True,
        "edits": {"mode_metrics": [("(counts >= min_count)", "(counts > min_count)")]},
        "lose": ["test_mode_metrics"],
    },
    "mode_histogram_of_all_samples": {
        "demo_only": True,
        # the histogram counts every sample, good or not
        "edits": {"mode_metrics": [("np.bincount(index[good], minlength=K)", "np.bincount(index, minlength=K)")]},
        "lose": ["test_mode_metrics"],
    },
    "mode_kl_is_entropy": {
        "demo_only": True,
        # the histogram's entropy instead of its divergence to the uniform one
        "edits": {"mode_metrics": [("float((p * np.log(K * p)).sum())", "float(-(p * np.log(p)).sum())")]},
        "lose": ["test_mode_metrics"],
    },
    # --- sample_latent ------------------------------------------------------------------------
    "latent_code_not_one_hot": {
        "demo_only": True,
        # a continuous code in [0, 1)^k instead of a one-hot one
        "edits": {"sample_latent": [(_ONE_HOT, "c = torch.rand(m, k, device=device)")]},
        "lose": ["test_sample_latent", "test_gan_mine_step", "test_mi_log_k", "test_gan_training"],
    },
    "latent_code_first": {
        "demo_only": True,
        # z = [c, eps]: the frozen generator of the log k test reads the wrong columns
        "edits": {"sample_latent": [("torch.cat([eps, c], dim=1)", "torch.cat([c, eps], dim=1)")]},
        "lose": ["test_sample_latent", "test_gan_mine_step", "test_mi_log_k"],
    },
    "latent_last_code_never_drawn": {
        "demo_only": True,
        "edits": {"sample_latent": [("torch.randint(k, (m,), device=device)", "torch.randint(k - 1, (m,), device=device)")]},
        "lose": ["test_sample_latent", "test_gan_mine_step", "test_mi_log_k"],
    },
    # --- clip_mi_grad -------------------------------------------------------------------------
    "clip_wrong_direction": {
        # the MI gradient scaled up to at least the adversarial norm
        "edits": {"clip_mi_grad": [("max=1.0)", "min=1.0)")]},
        "lose": ["test_clip_mi_grad", "test_gan_mine_step"],
        "message": "A smaller MI gradient is left as it is",
    },
    "clip_elementwise": {
        "demo_only": True,
        # each element clipped to the adversarial gradient's element, not the tensor's norm
        "edits": {"clip_mi_grad": [("        " + _SCALE + "\n        clipped.append(gm * scale)",
                                    "        clipped.append(torch.maximum(torch.minimum(gm, ga.abs()), -ga.abs()))")]},
        "lose": ["test_clip_mi_grad", "test_gan_mine_step"],
    },
    "clip_one_global_norm": {
        "demo_only": True,
        # one norm over all the generator's tensors
        "edits": {"clip_mi_grad": [("    clipped = []\n    for gm, ga in zip(g_mi, g_adv):\n        " + _SCALE
                                    + "\n        clipped.append(gm * scale)\n    return clipped",
                                    "    n_mi = torch.sqrt(sum((gm**2).sum() for gm in g_mi))\n"
                                    "    n_adv = torch.sqrt(sum((ga**2).sum() for ga in g_adv))\n"
                                    "    scale = torch.clamp(n_adv / torch.clamp(n_mi, min=1e-30), max=1.0)\n"
                                    "    return [gm * scale for gm in g_mi]")]},
        "lose": ["test_clip_mi_grad", "test_gan_mine_step"],
    },
    "clip_nan_for_zero_mi_gradient": {
        "demo_only": True,
        # 0 / 0 when both gradients of a tensor are zero: NaN
        "edits": {"clip_mi_grad": [("torch.clamp(gm.norm(), min=1e-30)", "gm.norm()")]},
        "lose": ["test_clip_mi_grad"],
    },
    # --- gan_mine_step ------------------------------------------------------------------------
    "step_beta_wrong_sign": {
        # the generator minimizes the MI
        "edits": {"gan_mine_step": [("torch.autograd.grad(-beta * mi, params)", "torch.autograd.grad(beta * mi, params)")]},
        "lose": STEP_TESTS + ["test_gan_training"],
    },
    "step_mi_on_detached_samples": {
        "demo_only": True,
        # the MI term gets no path back to the generator (autograd.grad raises)
        "edits": {"gan_mine_step": [("    mi = dv_bound(*T(fake, c))\n", "    mi = dv_bound(*T(fake.detach(), c))\n")]},
        "lose": STEP_TESTS + ["test_mi_log_k", "test_gan_training"],
    },
    "step_T_also_stepped_by_generator_loss": {
        "demo_only": True,
        # T takes a second step, on the generator's MI term
        "edits": {"gan_mine_step": [(_GRADS, _GRADS + "    opt_T.zero_grad(set_to_none=True)\n"
                                             "    (-beta * mi).backward()\n"
                                             "    opt_T.step()\n")]},
        "lose": STEP_TESTS + ["test_mi_log_k", "test_gan_training"],
    },
    "step_T_grad_not_zeroed": {
        "demo_only": True,
        "edits": {"gan_mine_step": [("    opt_T.zero_grad(set_to_none=True)\n", "")]},
        "lose": STEP_TESTS + ["test_mi_log_k", "test_gan_training"],
    },
    "step_saturating_generator_loss": {
        "demo_only": True,
        # the minimax generator loss log(1 - D(G(z))) instead of the non-saturating one
        "edits": {"gan_mine_step": [("loss_adv = F.binary_cross_entropy_with_logits(D(fake), ones)",
                                     "loss_adv = -F.binary_cross_entropy_with_logits(D(fake), zeros)")]},
        "lose": STEP_TESTS,
    },
    "step_clip_flag_ignored": {
        "demo_only": True,
        "edits": {"gan_mine_step": [("    if clip:\n        g_mi", "    if True:\n        g_mi")]},
        "lose": STEP_TESTS,
    },
}
