"""helpers: the data, the ground truth, the plots, the TensorBoard writer, the checks."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import helpers
from helpers import checks

pytestmark = pytest.mark.fast


def test_seed_data_reproduces_the_course_text():
    rng = np.random.default_rng(0)
    rho = 1 - 0.19 * rng.random()
    XY = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], 1000)
    got_rho, got_XY = helpers.seed_data()
    assert got_rho == rho and abs(rho - 0.8790) < 1e-4
    np.testing.assert_array_equal(got_XY, XY)
    assert abs(helpers.gaussian_mi(rho) - 0.7405) < 1e-3  # the notes' ground truth


def test_ground_truth_formula():
    assert helpers.gaussian_mi(0.0) == 0.0
    assert np.isclose(helpers.gaussian_mi(0.9, d=5), -2.5 * np.log(1 - 0.81))
    with pytest.raises(ValueError):
        helpers.bivariate_gaussian(1.0, 10)


def test_gaussian_pairs_have_componentwise_correlation():
    X, Y = helpers.gaussian_pairs(0.6, d=3, n=200_000, rng=1)
    cov = np.cov(np.hstack([X, Y]).T)
    np.testing.assert_allclose(np.diag(cov), 1.0, atol=0.02)
    np.testing.assert_allclose(np.diag(cov[:3, 3:]), 0.6, atol=0.02)  # cov(X_i, Y_i)
    off = cov[:3, 3:][~np.eye(3, dtype=bool)]
    np.testing.assert_allclose(off, 0.0, atol=0.02)  # cov(X_i, Y_j), i != j
    np.testing.assert_allclose(cov[:3, :3][~np.eye(3, dtype=bool)], 0.0, atol=0.02)


def test_bivariate_gaussian_correlation():
    XY = helpers.bivariate_gaussian(-0.7, 100_000, rng=3)
    assert abs(np.corrcoef(XY.T)[0, 1] + 0.7) < 0.01


def test_import_has_no_side_effects(tmp_path):
    code = ("import sys, helpers, helpers.checks; "
            "print(json.dumps(sorted(m for m in ('torch', 'matplotlib', 'seaborn') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [], "importing helpers must not import torch or plotting"
    assert out.stderr == "" and list(tmp_path.iterdir()) == []


def test_heatmap_uses_the_network_it_is_given():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    import torch

    class Two(torch.nn.Module):  # t(x, y) = x - 2y, with a parameter for the device
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))

        def forward(self, x, y):
            return x * self.w[0] + y * self.w[1]

    fig, ax = plt.subplots()
    helpers.plot_net_heatmap(Two(), xgrids=5, ygrids=4, ax=ax)
    x, y = np.mgrid[-5:5:5j, -5:5:4j]
    np.testing.assert_allclose(ax.collections[0].get_array().reshape(x.shape), x - 2 * y, atol=1e-5)
    fig2, ax2 = plt.subplots()  # a one-input network t(z)
    helpers.plot_net_heatmap(torch.nn.Linear(2, 1), ax=ax2)
    plt.close("all")


def test_writer_is_off_while_grading(monkeypatch, tmp_path):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert helpers.make_writer("x", root=tmp_path) is None
    assert not any(tmp_path.iterdir())


def test_tensorboard_logs_once_per_epoch(monkeypatch, tmp_path, root):
    """DVTrainer with a helpers writer: read the events back with TensorBoard's reader."""
    import torch
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from grading import defs

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    ns = defs.load(root / "source/01_dv/01_dv.ipynb", ["init", "net", "dv", "dv_trainer"])
    writer = helpers.make_writer("dv", root=tmp_path)
    torch.manual_seed(0)
    trainer = ns["DVTrainer"](torch.randn(300, 2), torch.randn(300, 2), ns["Net"](),
                              batch_size=50, writer=writer)
    trainer.step(3)
    trainer.step(2)
    writer.close()
    (run,) = tmp_path.iterdir()
    assert run.name.startswith("dv-")
    acc = EventAccumulator(str(run))
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == [1, 2, 3, 4, 5]  # once per epoch
    assert [e.step for e in acc.Scalars("estimate")] == [3, 5]  # once per step() call
    assert trainer.n_iter == 30


def test_checks_explain_and_return_nothing():
    assert checks.check_close(1.0, 1.0, "x") is None  # a returned number would be partial credit
    with pytest.raises(AssertionError, match=r"the thing: expected 2, got 1\. hint here"):
        checks.check_close(1.0, 2.0, "the thing", hint="hint here")
    with pytest.raises(AssertionError, match="finite"):
        checks.check_close(float("inf"), 2.0, "v")
    with pytest.raises(AssertionError, match=r"expected shape \(1,\), got \(2,\)"):
        checks.check_close([1.0, 2.0], 2.0, "v")  # arrays are compared elementwise, shapes first
    with pytest.raises(AssertionError, match="single number"):
        checks.check_estimate([1.0, 2.0], 2.0, 0.1)
    assert checks.check_close(torch.tensor([[1.0, 2.0]]), [[1.0, 2.0]], "m") is None
    with pytest.raises(AssertionError, match=r"expected a number, an array or a plain tensor"):
        class Sneaky(float):  # a student's object never converts itself
            pass
        checks.check_close(Sneaky(1.0), 1.0, "s")
    with pytest.raises(AssertionError, match=r"0\.500 nats below the true value 1\.000"):
        checks.check_estimate(0.5, 1.0, 0.1)
    assert checks.check_estimate(0.95, 1.0, 0.1) is None


def test_quick_mode(monkeypatch):
    """The demonstrations run short while graded or with MI_COURSE_QUICK set (not "0")."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("MI_COURSE_QUICK", raising=False)
    assert not helpers.quick()
    monkeypatch.setenv("MI_COURSE_QUICK", "0")
    assert not helpers.quick()
    monkeypatch.setenv("MI_COURSE_QUICK", "1")
    assert helpers.quick()
    monkeypatch.delenv("MI_COURSE_QUICK")
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert helpers.quick() and helpers.grading()


# --- helpers.gan (notebook 05) ------------------------------------------------------------

def test_gan_grid_has_25_modes_one_apart():
    from helpers import gan

    centres = gan.modes("grid")
    assert centres.shape == (25, 2)
    assert sorted(set(centres[:, 0])) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    d = np.linalg.norm(centres[:, None] - centres[None], axis=2) + 10 * np.eye(25)
    assert np.isclose(d.min(), 1.0)


def test_gan_spiral_modes_are_equally_spaced_and_far_apart():
    from helpers import gan

    centres = gan.modes("spiral")
    assert centres.shape == (20, 2)
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    assert 0.84 < steps.min() and steps.max() < 0.87  # chords of equal arcs of about 0.87
    d = np.linalg.norm(centres[:, None] - centres[None], axis=2) + 10 * np.eye(20)
    assert d.min() > 12 * gan.STD  # 3-std balls never overlap
    assert np.abs(centres).max() < 2.6  # inside the plots' window


@pytest.mark.parametrize("name", ["grid", "spiral"])
def test_gan_sample_is_the_stated_mixture(name):
    from helpers import gan

    X, labels = gan.sample(name, 50_000, rng=3)
    assert X.dtype == np.float32 and X.shape == (50_000, 2)
    centres = gan.modes(name)
    noise = X - centres[labels]
    assert abs(noise.std() - gan.STD) < 0.002 and np.abs(noise.mean(axis=0)).max() < 0.002
    counts = np.bincount(labels, minlength=len(centres))
    assert counts.min() > 0.8 * 50_000 / len(centres)
    again, _ = gan.sample(name, 50_000, rng=3)
    np.testing.assert_array_equal(X, again)


def test_gan_nearest_mode_on_hand_made_points():
    from helpers import gan

    centres = np.array([[0.0, 0.0], [1.0, 0.0]])
    pts = np.array([[0.1, 0.0], [0.9, 0.3], [0.49, 0.0], [5.0, 0.0]])
    index, dist = gan.nearest_mode(torch.tensor(pts, dtype=torch.float32), centres)
    assert index.tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(dist, [0.1, np.hypot(0.1, 0.3), 0.49, 4.0], rtol=1e-6)
    # the data's own samples are within 3 std of the mode they were drawn from, bar 1%
    X, labels = gan.sample("grid", 10_000, rng=4)
    index, dist = gan.nearest_mode(X, gan.modes("grid"))
    assert (index == labels).all()
    assert 0.985 < (dist <= gan.RADIUS * gan.STD).mean() < 0.995  # 1 - exp(-9/2) = 0.9889
