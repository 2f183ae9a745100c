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
}


@pytest.mark.parametrize("name", sorted(EXPECTED_BACKWARD))
def test_backward_matches_hand_computed(name: str) -> None:
    t = transforms.make(name, LOW, HIGH)
    torch.testing.assert_close(t.backward(G, U), torch.tensor(EXPECTED_BACKWARD[name]), rtol=1e-6, atol=1e-7)


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
    assert t.backward(torch.zeros_like(g), u).abs().max().item() == 0.0  # g = 0 maps to 0 everywhere


@pytest.mark.parametrize("name", transforms.names())
def test_positively_homogeneous_in_g(name: str) -> None:
    """Scaling dQ/da by c > 0 scales g_u by c: batch mean vs sum changes magnitude, never direction."""
    t = transforms.make(name, LOW, HIGH)
    u, g = torch.randn(64, 2) * 3, torch.randn(64, 2)
    torch.testing.assert_close(t.backward(g * 7.5, u), t.backward(g, u) * 7.5)


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown transform 'tanh'.*clip, identity, invert, squash, zero"):
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
