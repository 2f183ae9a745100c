"""Each transform against values computed by hand from DESIGN.md's table (bounds [-1, 1] and [0, 720])."""

from __future__ import annotations

import math

import pytest
import torch

from bounded_ddpg import transforms

LOW, HIGH = [-1.0, 0.0], [1.0, 720.0]
# rows: at the upper bounds / beyond both ways / inside / at the lower bounds / g = 0 outside / beyond, mixed
U = torch.tensor([[1.0, 720.0], [1.5, -10.0], [0.5, 360.0], [-1.0, 0.0], [2.0, 800.0], [-3.0, 900.0]])
G = torch.tensor([[2.0, -1.0], [3.0, 4.0], [1.5, -2.0], [-2.0, 5.0], [0.0, 0.0], [-1.0, -6.0]])

EXPECTED_BACKWARD = {
    "identity": G.tolist(),
    # only strictly inside survives; at a bound and beyond, both directions die
    "clip": [[0, 0], [0, 0], [1.5, -2.0], [0, 0], [0, 0], [0, 0]],
    # only outward gradients die: (u >= high and g > 0) or (u <= low and g < 0)
    "zero": [[0, -1.0], [0, 4.0], [1.5, -2.0], [0, 5.0], [0, 0], [0, -6.0]],
    # g > 0: g (high - u)/(high - low); else g (u - low)/(high - low)
    "invert": [
        [2 * (1 - 1) / 2, -1 * (720 - 0) / 720],
        [3 * (1 - 1.5) / 2, 4 * (720 + 10) / 720],  # outward reversed: -0.75; inward amplified: 4.0556
        [1.5 * (1 - 0.5) / 2, -2 * (360 - 0) / 720],
        [-2 * (-1 + 1) / 2, 5 * (720 - 0) / 720],
        [0, 0],
        [-1 * (-3 + 1) / 2, -6 * (900 - 0) / 720],  # outward reversed: +1.0; inward amplified: -7.5
    ],
    "squash": [
        [g * (h - lo) / 2 * (1 - math.tanh(u) ** 2) for u, g, lo, h in zip(row_u, row_g, LOW, HIGH)]
        for row_u, row_g in zip(U.tolist(), G.tolist())
    ],
    # the squash factor times invert at a = squash(u): g (high - a)/(high - low) where g > 0, else
    # g (a - low)/(high - low)
    "squash_invert": [
        [
            g * ((h - a) if g > 0 else (a - lo)) / (h - lo) * (h - lo) / 2 * (1 - math.tanh(u) ** 2)
            for u, g, lo, h in zip(row_u, row_g, LOW, HIGH)
            for a in [lo + (h - lo) * (math.tanh(u) + 1) / 2]
        ]
        for row_u, row_g in zip(U.tolist(), G.tolist())
    ],
    # coef 1, margin 0: g - 2 * coef / range^2 * (relu(u - high) - relu(low - u)); ranges 2 and 720
    "penalty": [
        [2.0, -1.0],  # on the bounds: nothing beyond, identity
        [3 - 2 / 2**2 * 0.5, 4 + 2 / 720**2 * 10],  # 0.5 above high pulled down; 10 below low pushed up
        [1.5, -2.0],  # inside: identity
        [-2.0, 5.0],
        [0 - 2 / 2**2 * 1.0, 0 - 2 / 720**2 * 80],  # g = 0 outside: the restoring force alone
        [-1 + 2 / 2**2 * 2.0, -6 - 2 / 720**2 * 180],  # 2 below low: +1 cancels g = -1 exactly
    ],
    # max_abs 1: each component clamped to [-1, 1], wherever u is
    "dqda_clip": [[1.0, -1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [0, 0], [-1.0, -1.0]],
    # max_norm 1: g / ||g|| where ||g|| > 1; norms sqrt(5), 5, 2.5, sqrt(29), 0, sqrt(37)
    "dqda_norm_clip": [
        [2 / math.sqrt(5), -1 / math.sqrt(5)],
        [0.6, 0.8],
        [0.6, -0.8],
        [-2 / math.sqrt(29), 5 / math.sqrt(29)],
        [0, 0],
        [-1 / math.sqrt(37), -6 / math.sqrt(37)],
    ],
}
# penalty with coef 0.5 and margin 0.1: the force starts 10% of the range inside each bound, i.e. at
# [-0.8, 0.8] and [72, 648]; factor 2 * 0.5 / range^2 = 0.25 and 1 / 720^2
PENALTY_MARGIN = [
    [2 - 0.25 * 0.2, -1 - 72 / 720**2],
    [3 - 0.25 * 0.7, 4 + 82 / 720**2],
    [1.5, -2.0],
    [-2 + 0.25 * 0.2, 5 + 72 / 720**2],
    [0 - 0.25 * 1.2, 0 - 152 / 720**2],
    [-1 + 0.25 * 2.2, -6 - 252 / 720**2],
]
# penalty's force and the dQ/da clipping thresholds do not scale with g
NOT_HOMOGENEOUS = ("penalty", "dqda_clip", "dqda_norm_clip")
HOMOGENEOUS = [n for n in transforms.names() if n not in NOT_HOMOGENEOUS]


@pytest.mark.parametrize("name", sorted(EXPECTED_BACKWARD))
def test_backward_matches_hand_computed(name: str) -> None:
    t = transforms.make(name, LOW, HIGH)
    torch.testing.assert_close(t.backward(G, U), torch.tensor(EXPECTED_BACKWARD[name]), rtol=1e-6, atol=1e-7)


def test_penalty_values_spelled_out() -> None:
    default = transforms.make("penalty", LOW, HIGH).backward(G, U)
    assert default[1, 0].item() == pytest.approx(2.75)  # 3 - 0.5 * 0.5
    assert default[4, 0].item() == pytest.approx(-0.5)  # g = 0, 1 above: pulled back with 2 / 2^2
    assert default[5, 0].item() == 0.0  # the inward pull +1 cancels g = -1 exactly
    assert default[2].tolist() == G[2].tolist() and default[0].tolist() == G[0].tolist()
    t = transforms.make(transforms.spec("penalty", {"coef": 0.5, "margin": 0.1}), LOW, HIGH)
    torch.testing.assert_close(t.backward(G, U), torch.tensor(PENALTY_MARGIN), rtol=1e-6, atol=1e-7)
    assert t.backward(G, U)[0, 0].item() == pytest.approx(1.95)  # on the bound, 0.2 past the margin's edge


def test_penalty_is_in_units_of_the_range() -> None:
    """Rescaling a dimension (bounds and u times s) rescales g_u like a gradient (dQ/da divides by s)."""
    gen = torch.Generator().manual_seed(2)
    u, g = torch.randn(256, 2, generator=gen) * 3, torch.randn(256, 2, generator=gen)
    params = {"coef": 2.0, "margin": 0.1}
    base = transforms.make(transforms.spec("penalty", params), [-1.0, -1.0], [1.0, 1.0]).backward(g, u)
    s = torch.tensor([360.0, 0.5])  # [-1, 1] -> [-360, 360] and [-0.5, 0.5]
    big = transforms.make(transforms.spec("penalty", params), (-s).tolist(), s.tolist())
    torch.testing.assert_close(big.backward(g / s, u * s), base / s)
    assert 0 < int((base != g).sum()) < base.numel()  # both regimes exercised


def test_penalty_reproduces_her_action_l2_and_rl_games_bound_loss() -> None:
    """margin=0.5 is HER's action_l2 shape, margin=-0.05 rl_games' soft bound 1.1 (docstring's mapping)."""
    gen = torch.Generator().manual_seed(3)
    a_dim, max_u = 3, 2.0
    u = (torch.randn(64, a_dim, generator=gen, dtype=torch.float64) * 3).requires_grad_(True)
    g = torch.randn(64, a_dim, generator=gen, dtype=torch.float64)
    # baselines/her/ddpg.py: loss += action_l2 * mean over batch and action dims of (pi / max_u)^2
    action_l2 = 0.7
    (her,) = torch.autograd.grad((action_l2 * (u / max_u).square().mean(-1)).sum(), u)
    t = transforms.make(
        transforms.spec("penalty", {"coef": 4 * action_l2 / a_dim, "margin": 0.5}), [-max_u] * 3, [max_u] * 3
    )
    torch.testing.assert_close(t.backward(g.float(), u.detach().float()), (g - her).float())
    # rl_games a2c_continuous.py bound_loss: sum_i clamp_min(mu - 1.1, 0)^2 + clamp_max(mu + 1.1, 0)^2
    c = 0.01
    rl = (torch.clamp_min(u - 1.1, 0.0) ** 2 + torch.clamp_max(u + 1.1, 0.0) ** 2).sum(-1)
    (rl_grad,) = torch.autograd.grad((c * rl).sum(), u)
    t = transforms.make(transforms.spec("penalty", {"coef": 4 * c, "margin": -0.05}), [-1.0] * 3, [1.0] * 3)
    torch.testing.assert_close(t.backward(g.float(), u.detach().float()), (g - rl_grad).float())


def test_penalty_refuses_bad_parameters() -> None:
    with pytest.raises(transforms.TransformError, match=r"coef must be finite and >= 0, got -1"):
        transforms.make(transforms.spec("penalty", {"coef": -1.0}), LOW, HIGH)
    with pytest.raises(transforms.TransformError, match=r"margin must be .* <= 0.5"):
        transforms.make(transforms.spec("penalty", {"margin": 0.6}), LOW, HIGH)


def test_dqda_clipping_with_its_own_bound() -> None:
    """max_abs / max_norm 3: only what exceeds 3 changes; norm clipping keeps the direction."""
    t = transforms.make(transforms.spec("dqda_clip", {"max_abs": 3.0}), LOW, HIGH)
    assert t.backward(G, U).tolist() == [[2, -1], [3, 3], [1.5, -2], [-2, 3], [0, 0], [-1, -3]]
    t = transforms.make(transforms.spec("dqda_norm_clip", {"max_norm": 3.0}), LOW, HIGH)
    expected = [
        [2, -1],
        [1.8, 2.4],
        [1.5, -2],
        [-6 / 29**0.5, 15 / 29**0.5],
        [0, 0],
        [-3 / 37**0.5, -18 / 37**0.5],
    ]
    torch.testing.assert_close(t.backward(G, U), torch.tensor(expected), rtol=1e-6, atol=1e-7)
    assert torch.equal(t.backward(G[[0, 2, 4]], U[[0, 2, 4]]), G[[0, 2, 4]])  # below the bound: untouched
    for name in ("dqda_clip", "dqda_norm_clip"):
        assert torch.equal(transforms.make(name, LOW, HIGH).forward(U), U)  # the environment clips


def test_dqda_norm_clip_is_per_sample_and_per_member() -> None:
    """The norm is over the action dimensions of one sample (of one member); the direction is kept."""
    t = transforms.make("dqda_norm_clip", [-1.0] * 3, [1.0] * 3)
    g = torch.randn(4, 16, 3, generator=torch.Generator().manual_seed(0))  # [M, B, A]
    out = t.backward(g, torch.zeros_like(g))
    g_norm, out_norm = (torch.linalg.vector_norm(x, dim=-1, keepdim=True) for x in (g, out))
    torch.testing.assert_close(out_norm, g_norm.clamp(max=1.0))
    torch.testing.assert_close(out / out_norm, g / g_norm)
    assert 32 < int((g_norm > 1).sum()) < 64  # most samples clipped (norms ~ sqrt(3)), some not


@pytest.mark.parametrize(("name", "key"), [("dqda_clip", "max_abs"), ("dqda_norm_clip", "max_norm")])
@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf])
def test_dqda_clipping_refuses_a_bound_that_is_not_positive(name: str, key: str, bad: float) -> None:
    with pytest.raises(transforms.TransformError, match=rf"{key} must be finite and > 0, got {bad}"):
        transforms.make(transforms.spec(name, {key: bad}), LOW, HIGH)


def test_invert_values_spelled_out() -> None:
    g_u = transforms.make("invert", LOW, HIGH).backward(G, U)
    assert g_u[1, 0].item() == pytest.approx(-0.75)  # beyond high, pushed further out: reversed
    assert g_u[1, 1].item() == pytest.approx(4.0555556)  # beyond low, pushed inward: amplified
    assert g_u[5].tolist() == pytest.approx([1.0, -7.5])
    assert g_u[0, 0].item() == 0.0 and g_u[3, 0].item() == 0.0  # at the bound it pushes toward: stops


def test_forward_values() -> None:
    u = torch.tensor([[0.0, 0.0], [1.5, -10.0], [-1e6, 1e6]])
    torch.testing.assert_close(
        transforms.make("clip", LOW, HIGH).forward(u), torch.tensor([[0.0, 0], [1, 0], [-1, 720]])
    )
    squash = transforms.make("squash", LOW, HIGH).forward(u)
    torch.testing.assert_close(squash[0], torch.tensor([0.0, 360.0]))  # tanh(0) = 0: the midpoint
    torch.testing.assert_close(squash[2], torch.tensor([-1.0, 720.0]))  # saturated at the bounds
    expected_row1 = [-1 + 2 * (math.tanh(1.5) + 1) / 2, 720 * (math.tanh(-10.0) + 1) / 2]
    torch.testing.assert_close(squash[1], torch.tensor(expected_row1))
    for name in ("identity", "zero", "invert"):
        assert torch.equal(transforms.make(name, LOW, HIGH).forward(u), u)


def test_squash_backward_is_autograd_through_tanh_head() -> None:
    gen = torch.Generator().manual_seed(0)
    u = (torch.randn(4, 64, 2, generator=gen, dtype=torch.float64) * 3).requires_grad_(True)
    g = torch.randn(4, 64, 2, generator=gen, dtype=torch.float64)
    low, high = torch.tensor(LOW, dtype=torch.float64), torch.tensor(HIGH, dtype=torch.float64)
    head = low + (high - low) * (torch.tanh(u) + 1) / 2  # written out, not via the transform
    (autograd_g,) = torch.autograd.grad((head * g).sum(), u)
    ours = transforms.make("squash", LOW, HIGH).backward(g, u.detach())
    torch.testing.assert_close(ours, autograd_g, rtol=1e-6, atol=1e-12)


def test_squash_invert_is_hyars_inversion_at_the_tanh_output_then_autograd() -> None:
    """HyAR's P_TD3.py: delta_a = dQ/da at the tanh output a; inverted with a's room to the bound (a is in
    [-1, 1] there: the units do not matter, the factor is scale-free); then a.backward(delta_a)."""
    gen = torch.Generator().manual_seed(2)
    u = (torch.randn(3, 50, 2, generator=gen, dtype=torch.float64) * 2).requires_grad_(True)
    g = torch.randn(3, 50, 2, generator=gen, dtype=torch.float64)
    low, high = torch.tensor(LOW, dtype=torch.float64), torch.tensor(HIGH, dtype=torch.float64)
    unit = torch.tanh(u)  # HyAR's actor output, in [-1, 1]
    a = low + (high - low) * (unit + 1) / 2
    delta = torch.where(g > 0, g * (1 - unit) / 2, g * (unit + 1) / 2).detach()  # their _invert_gradients
    (autograd_g,) = torch.autograd.grad((a * delta).sum(), u)
    ours = transforms.make("squash_invert", LOW, HIGH).backward(g, u.detach())
    torch.testing.assert_close(ours, autograd_g, rtol=1e-6, atol=1e-12)
    # never reversed: the sign of g survives (the head keeps a inside), and it is never larger than squash's
    squash = transforms.make("squash", LOW, HIGH).backward(g, u.detach())
    assert bool(torch.all(ours * g >= 0)) and bool(torch.all(ours.abs() <= squash.abs()))


def test_clip_backward_is_autograd_through_clamp_off_the_bounds() -> None:
    gen = torch.Generator().manual_seed(1)
    u = torch.randn(256, 2, generator=gen) * torch.tensor([2.0, 700.0]) + torch.tensor([0.0, 360.0])
    u.requires_grad_(True)
    g = torch.randn(256, 2, generator=gen)
    (autograd_g,) = torch.autograd.grad((torch.clamp(u, torch.tensor(LOW), torch.tensor(HIGH)) * g).sum(), u)
    ours = transforms.make("clip", LOW, HIGH).backward(g, u.detach())
    assert 0 < int((ours == 0).sum()) < u.numel()  # both regimes exercised
    torch.testing.assert_close(ours, autograd_g)
    # Exactly on a bound torch.clamp passes the gradient; the paper's strict inequality does not.
    at = torch.tensor([[1.0, 0.0]], requires_grad=True)
    (clamp_at,) = torch.autograd.grad(torch.clamp(at, torch.tensor(LOW), torch.tensor(HIGH)).sum(), at)
    assert clamp_at.tolist() == [[1.0, 1.0]]
    assert transforms.make("clip", LOW, HIGH).backward(torch.ones(1, 2), at.detach()).tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("name", transforms.names())
def test_any_leading_shape_and_dtype_preserved(name: str) -> None:
    t = transforms.make(name, LOW, HIGH)
    u, g = torch.randn(3, 5, 2), torch.randn(3, 5, 2)
    flat = t.backward(g.reshape(15, 2), u.reshape(15, 2)).reshape(3, 5, 2)
    out = t.backward(g, u)
    assert out.shape == (3, 5, 2) and out.dtype == torch.float32
    torch.testing.assert_close(out, flat)
    if name in HOMOGENEOUS:
        assert t.backward(torch.zeros_like(g), u).abs().max().item() == 0.0  # g = 0 maps to 0 everywhere


@pytest.mark.parametrize("name", HOMOGENEOUS)
def test_positively_homogeneous_in_g(name: str) -> None:
    """Scaling dQ/da by c > 0 scales g_u by c: batch mean vs sum changes magnitude, never direction."""
    t = transforms.make(name, LOW, HIGH)
    u, g = torch.randn(64, 2) * 3, torch.randn(64, 2)
    torch.testing.assert_close(t.backward(g * 7.5, u), t.backward(g, u) * 7.5)


def test_penalty_is_homogeneous_inside_only() -> None:
    """Inside the bounds penalty is the identity; outside, g = 0 still gets a force pointing back inside."""
    t = transforms.make("penalty", LOW, HIGH)
    inside = torch.tensor([[0.0, 100.0], [0.9, 719.0]])
    g = torch.randn(2, 2)
    assert torch.equal(t.backward(g, inside), g)
    outside = torch.tensor([[1.5, 800.0], [-1.5, -80.0]])
    force = t.backward(torch.zeros(2, 2), outside)
    assert (force[0] < 0).all() and (force[1] > 0).all()


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown transform 'tanh'.*clip, dqda_clip, dqda_norm_clip, identity, invert, penalty, "
        "squash, squash_invert, zero",
    ):
        transforms.make("tanh", LOW, HIGH)


def test_bad_bounds_are_rejected() -> None:
    with pytest.raises(ValueError, match="low < high"):
        transforms.make("invert", [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="equal shape"):
        transforms.make("invert", [0.0], [1.0, 2.0])


def test_a_new_transform_is_one_subclass() -> None:
    class Halve(transforms.ActionGradientTransform):
        name = "halve_for_test"

        def backward(self, dq_da: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
            return dq_da / 2

    try:
        assert "halve_for_test" in transforms.names()
        assert transforms.make("halve_for_test", LOW, HIGH).backward(G, U).tolist() == (G / 2).tolist()
    finally:
        transforms._REGISTRY.pop("halve_for_test")
