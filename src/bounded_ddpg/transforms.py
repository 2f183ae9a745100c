"""Action-gradient transforms: the seam between the critic's dQ/da and the actor's backward pass.

DDPG's actor gradient is  dJ/dtheta = E_s[ dQ/da(s, a) * da/du * du/dtheta ],  with u = mu_theta(s) the raw
actor output and a = forward(u) the action the critic sees. Autograd computes this product in one pass; the
reason to split it is to change dQ/da on its way to the actor. A transform owns both halves:

* ``forward(u) -> a``: the action the critic sees (the environment always receives it clipped to the bounds);
* ``backward(dq_da, u) -> g_u``: the direction handed to the actor's backward pass.

Sign convention, stated once for the whole package: ``dq_da`` and everything ``backward`` returns are ASCENT
directions on Q (positive = "increase this action"). The actor's loss negates exactly once (actor_step.py).

Every transform is pure and vectorised (torch.where, no Python loop over the batch, no device transfer) and
takes per-dimension bounds ``low``/``high`` from the action space; any leading shape ([B, A], [M, B, A])
works.

A transform is named by a :class:`Spec`: its config name, its class and its keyword parameters (checked
against the class's ``__init__`` signature by :func:`spec`). A built-in is found by its ``name`` (a
subclass with a ``name`` registers itself); a researcher's own class, in their own module, is found by the
``_target_`` of a YAML file in their own ``conf/transform/`` (docs/extending.md). Both are used the same
way by every agent, by batched members and by per-member ablations (:class:`PerMember`).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import inspect
import math
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Union

import numpy as np
import torch
from gymnasium.spaces import Box
from torch import Tensor

_REGISTRY: dict[str, type[ActionGradientTransform]] = {}
# A transform's name appears in run directories and report tables: letters, digits and _ . + - only.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.+-]+")


class TransformError(ValueError):
    """A transform that cannot be named or built: unknown name, bad class, parameter or value."""


class ActionGradientTransform:
    """Base class: identity in both directions. Subclasses override what they change."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    def __init__(self, low: Tensor, high: Tensor) -> None:
        if low.shape != high.shape or low.dim() != 1:
            raise ValueError(
                f"low and high must be 1-D of equal shape, got {tuple(low.shape)}, {tuple(high.shape)}"
            )
        if not bool(torch.all(high > low)):
            raise ValueError(f"every bound needs low < high, got low={low.tolist()} high={high.tolist()}")
        self.low = low
        self.high = high
        self.range = high - low

    def to(self, device: torch.device | str) -> ActionGradientTransform:
        self.low, self.high, self.range = (t.to(device) for t in (self.low, self.high, self.range))
        return self

    def forward(self, u: Tensor) -> Tensor:
        return u

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return dq_da

    def __repr__(self) -> str:
        return f"{type(self).__name__}(low={self.low.tolist()}, high={self.high.tolist()})"


class Identity(ActionGradientTransform):
    """Plain DDPG: g_u = dQ/da. Nothing keeps u inside the bounds; the environment clips."""

    name = "identity"


class Clip(ActionGradientTransform):
    """The "zeroing gradients" formula of Hausknecht & Stone (2016), section 4.3.1.

    forward: a = clamp(u, low, high).  backward: g_u = g where low < u < high, else 0.
    A dimension that leaves the range never receives a gradient again (not even one pointing back inside).
    This is autograd through a clamp everywhere except exactly on a bound, where torch.clamp passes the
    gradient through (measured, torch 2.13) and the paper's strict inequality does not.
    """

    name = "clip"

    def forward(self, u: Tensor) -> Tensor:
        return torch.clamp(u, self.low, self.high)

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        inside = (u > self.low) & (u < self.high)
        return torch.where(inside, dq_da, torch.zeros_like(dq_da))


class Zero(ActionGradientTransform):
    """Zero only the outward gradient, as Hausknecht & Stone's released code does.

    g_u = 0 where (u >= high and g > 0) or (u <= low and g < 0), else g. An inward gradient survives, so a
    dimension outside the range can return; Adam's momentum may still carry it further out.
    """

    name = "zero"

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        outward = ((u >= self.high) & (dq_da > 0)) | ((u <= self.low) & (dq_da < 0))
        return torch.where(outward, torch.zeros_like(dq_da), dq_da)


class Squash(ActionGradientTransform):
    """A tanh head rescaled into the bounds (the usual bounded DDPG/SAC actor).

    forward: a = low + (high - low) * (tanh(u) + 1) / 2.
    backward: g_u = g * (high - low) / 2 * (1 - tanh(u)^2), autograd through that head. Saturates:
    for large |u| the factor vanishes and the actor cannot leave the bound (Hausknecht & Stone 2016, 4.3.2).
    """

    name = "squash"

    def forward(self, u: Tensor) -> Tensor:
        return self.low + self.range * (torch.tanh(u) + 1.0) / 2.0

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        # 1 - tanh(u)^2 written as cosh(u)^-2: the same number without float32 cancellation near saturation.
        return dq_da * (self.range / 2.0) * torch.cosh(u).reciprocal().square()


class Invert(ActionGradientTransform):
    """Inverting gradients, Hausknecht & Stone (ICLR 2016), section 4.3.3, eq. (4).

    g_u = g * (high - u) / (high - low)  where g > 0   (the gradient asks to increase u),
          g * (u - low)  / (high - low)  otherwise.
    Inside the range a gradient shrinks as u nears the bound it pushes toward; outside, the factor is
    negative, so an outward gradient is reversed and an inward one amplified. The factor is invariant to
    rescaling u, so raw or normalised units give the same direction.
    """

    name = "invert"

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return inverted(dq_da, u, self.low, self.high)


def inverted(dq_da: Tensor, x: Tensor, low: Tensor, high: Tensor) -> Tensor:
    """Hausknecht & Stone's eq. (4) at the point x: dq_da scaled by the room left toward the bound it
    pushes to, as a fraction of the range (negative beyond that bound)."""
    room = torch.where(dq_da > 0, high - x, x - low)
    return dq_da * room / (high - low)


class SquashInvert(Squash):
    """A tanh head whose output gradient is inverted first: HyAR's PA-TD3 and PA-DDPG baselines (Li et al.,
    ICLR 2022; github.com/TJU-DRL-LAB/self-supervised-rl, RL_with_Action_Representation/HyAR/agents/
    P_TD3.py, ``_invert_gradients`` applied to the actor's tanh outputs, then back through the tanh).

    forward: a = squash(u), inside the bounds.
    backward: g_u = invert(g at a) * (hi - lo)/2 * (1 - tanh(u)^2).
    As a never leaves [lo, hi], the inversion never reverses a gradient: it slows the approach to the bound
    it pushes toward, on top of the tanh's own saturation.
    """

    name = "squash_invert"

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return super().backward(inverted(dq_da, self.forward(u), self.low, self.high), u)


class Penalty(ActionGradientTransform):
    """A soft bound: the identity inside the bounds, a restoring force beyond them.

    g_u = g - coef * d/du sum_i excess_i(u)^2,   excess(u) = (relu(u - hi') + relu(lo' - u)) / (high - low),
    with hi' = high - margin * (high - low) and lo' = low + margin * (high - low); per dimension,

        g_u = g - 2 * coef / (high - low)^2 * (relu(u - hi') - relu(lo' - u)).

    This is the gradient of Q(s, u) - coef * sum_i excess_i(u)^2: the actor ascends Q minus a quadratic
    penalty on how far its raw output lies beyond the bounds (forward is the identity; the environment
    clips). Units: the excess is measured in units of each dimension's range, so ``coef`` is in units of Q
    and means the same for [0, 720] as for [-1, 1]; rescaling an action dimension rescales g_u like any
    gradient and moves neither where the force starts nor how hard it pulls against Q. Against a constant
    outward dQ/da = g the actor settles at hi' + g * (high - low)^2 / (2 * coef): the penalty bounds the
    drift that identity suffers, it does not forbid leaving. Unlike the other built-ins it is not
    positively homogeneous in g (the force does not scale with dQ/da), so it needs the per-sample dQ/da,
    which actor_step.py hands to every transform in both modes.

    Parameters (conf/transform/penalty.yaml):
        coef: weight of the penalty, in units of Q; >= 0 (0 is identity). Default 1.0.
        margin: where the force starts, as a fraction of the range inside each bound; <= 0.5. Default 0:
            at the bounds; 0.1: 10% inside; negative: a soft bound outside them (-0.05 is rl_games' 1.1
            on [-1, 1]); 0.5: a quadratic pull toward the centre everywhere, the shape of HER's action_l2.

    Sources. OpenAI baselines' HER DDPG (baselines/her/ddpg.py) adds ``action_l2 * mean((pi / max_u)^2)``
    (default 1.0) to the actor's loss: an L2 penalty on the whole action that pulls toward 0 inside the
    bounds too (its tanh actor never leaves them); on symmetric bounds it equals margin=0.5 with
    coef = 4 * action_l2 / A for A action dimensions. rl_games (a2c_continuous.py, ``bound_loss``) adds
    ``bounds_loss_coef * sum_i (relu(mu_i - 1.1)^2 + relu(-1.1 - mu_i)^2)`` for the Gaussian mean mu in
    normalised [-1, 1] units: this shape with margin=-0.05 and coef = 4 * bounds_loss_coef, there a term
    of a PPO loss, here a change to dQ/da.
    """

    name = "penalty"

    def __init__(self, low: Tensor, high: Tensor, coef: float = 1.0, margin: float = 0.0) -> None:
        super().__init__(low, high)
        if not (math.isfinite(coef) and coef >= 0):
            raise ValueError(f"coef must be finite and >= 0, got {coef}")
        if not (math.isfinite(margin) and margin <= 0.5):
            raise ValueError(
                f"margin must be finite and <= 0.5 (a fraction of the range inside each bound), got {margin}"
            )
        self.coef, self.margin = float(coef), float(margin)

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        inner = self.margin * self.range
        beyond = (u - (self.high - inner)).clamp(min=0) - ((self.low + inner) - u).clamp(min=0)
        return dq_da - (2.0 * self.coef / self.range.square()) * beyond


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return float(value)


class DqdaClip(ActionGradientTransform):
    """DeepMind's elementwise dQ/da clipping: g_u = clamp(g, -max_abs, max_abs); forward is the identity.

    Each component of the actor's ascent direction is capped at ``max_abs`` (in units of Q per unit of
    action), whatever u: it bounds the step, not the action (an outward gradient still pushes outward;
    the environment clips). Not positively homogeneous in g, so it needs the per-sample dQ/da, which
    actor_step.py hands every transform (docs/seam.md, "when the reduction matters").

    Source: trfl ``dpg(q_max, a_max, dqda_clipping=None, clip_norm=False)`` (trfl/dpg_ops.py) and acme's
    TensorFlow ``losses.dpg`` (acme/tf/losses/dpg.py): given a ``dqda_clipping`` c and the default
    ``clip_norm=False``, ``tf.clip_by_value(dqda, -c, c)``. Both default to c = None (no clipping); the
    default 1.0 here is the c that acme's D4PG uses (with norm clipping: :class:`DqdaNormClip`).

    Parameters (conf/transform/dqda_clip.yaml): max_abs: the bound c, > 0. Default 1.0.
    """

    name = "dqda_clip"

    def __init__(self, low: Tensor, high: Tensor, max_abs: float = 1.0) -> None:
        super().__init__(low, high)
        self.max_abs = _positive("max_abs", max_abs)

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return dq_da.clamp(-self.max_abs, self.max_abs)


class DqdaNormClip(ActionGradientTransform):
    """DeepMind's dQ/da norm clipping: each sample's g rescaled to an L2 norm of at most ``max_norm``.

    g_u = g * max_norm / max(||g||, max_norm), the norm over the action dimensions of one sample (of one
    member): the direction is kept, the length capped; forward is the identity (the environment clips).
    Like dqda_clip it bounds the step, not the action, and needs the per-sample dQ/da.

    Source: rlax ``dpg_loss(a_t, dqda_t, dqda_clipping=None)`` (rlax/_src/policy_gradients.py) takes one
    sample's action vector and applies ``_clip_by_l2_norm(dqda_t, dqda_clipping)``, i.e. ``where(norm >
    c, x * c / norm, x)``, the same numbers as here; trfl's and acme's ``dpg(..., clip_norm=True)``:
    ``tf.clip_by_norm(dqda, c, axes=-1)``. Both default to c = None (no clipping). acme's D4PG learners,
    with their default ``clipping=True``, pass c = 1.0 with norm clipping (acme/agents/jax/d4pg/learning.py
    through rlax, acme/agents/tf/d4pg/learning.py through ``losses.dpg``): the default here.

    Parameters (conf/transform/dqda_norm_clip.yaml): max_norm: the bound c, > 0. Default 1.0.
    """

    name = "dqda_norm_clip"

    def __init__(self, low: Tensor, high: Tensor, max_norm: float = 1.0) -> None:
        super().__init__(low, high)
        self.max_norm = _positive("max_norm", max_norm)

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        norm = torch.linalg.vector_norm(dq_da, dim=-1, keepdim=True)
        return dq_da * (self.max_norm / norm.clamp(min=self.max_norm))  # exactly 1 below the bound


class PerMember(ActionGradientTransform):
    """Member m of a batched agent uses transform ``specs[m]`` (inputs carry the member dimension first).

    Each distinct transform runs once on the whole tensor and torch.where picks its members' slices, so a
    5-transform ablation trains in one process at the cost of five elementwise passes (next to nothing).
    Members are told apart by their transform's label: ``penalty`` and ``penalty(coef=0.1)`` are two.
    """

    def __init__(self, specs: Sequence[str | Spec], low: Tensor, high: Tensor) -> None:
        super().__init__(low, high)
        resolved = [as_spec(s) for s in specs]
        self.names = [s.label for s in resolved]
        unique = {s.label: s for s in resolved}
        self.parts = {label: s.build(low, high) for label, s in unique.items()}
        index = torch.tensor([list(self.parts).index(label) for label in self.names])
        self.masks = {label: (index == i).view(-1, 1, 1) for i, label in enumerate(self.parts)}

    def to(self, device: torch.device | str) -> PerMember:
        super().to(device)
        self.parts = {name: part.to(device) for name, part in self.parts.items()}
        self.masks = {name: mask.to(device) for name, mask in self.masks.items()}
        return self

    def _pick(self, outputs: dict[str, Tensor]) -> Tensor:
        result = None
        for name, out in outputs.items():
            result = out if result is None else torch.where(self.masks[name], out, result)
        assert result is not None
        return result

    def forward(self, u: Tensor) -> Tensor:
        return self._pick({name: part.forward(u) for name, part in self.parts.items()})

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return self._pick({name: part.backward(dq_da, u) for name, part in self.parts.items()})


def names() -> tuple[str, ...]:
    """Names of the registered transforms (including subclasses defined outside this module)."""
    return tuple(_REGISTRY)


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _fmt(value: Any) -> str:
    """A parameter value as a label shows it (YAML-like: true, null, [1.0,2.0])."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_fmt(v) for v in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)


@dataclasses.dataclass(frozen=True)
class Param:
    """One keyword parameter of a transform class, read from its ``__init__`` signature."""

    name: str
    annotation: Any  # a type hint, or inspect.Parameter.empty when unannotated or unresolvable
    default: Any  # inspect.Parameter.empty when required

    def describe(self) -> str:
        kind = "any" if self.annotation is inspect.Parameter.empty else _type_name(self.annotation)
        default = "required" if self.default is inspect.Parameter.empty else f"default {_fmt(self.default)}"
        return f"{self.name} ({kind}, {default})"


def _type_name(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")


def parameters(cls: type[ActionGradientTransform]) -> tuple[tuple[Param, ...], bool]:
    """The keyword parameters of ``cls(low, high, ...)`` and whether it also takes ``**kwargs``."""
    sig = inspect.signature(cls.__init__)
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # an annotation that does not resolve: check names, not types
        hints = {}
    listed = [p for p in sig.parameters.values() if p.name != "self"]
    if [p.name for p in listed[:2]] != ["low", "high"] or any(
        p.kind not in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY) for p in listed[:2]
    ):
        raise TransformError(
            f"{_qualname(cls)}.__init__ must take (low, high, ...) first, as the base class does; "
            f"its signature is {sig}"
        )
    params, var_kw = [], False
    for p in listed[2:]:
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            params.append(Param(p.name, hints.get(p.name, inspect.Parameter.empty), p.default))
        elif p.kind is p.POSITIONAL_ONLY and p.default is p.empty:
            raise TransformError(f"{_qualname(cls)}: positional-only parameter {p.name!r} cannot be set")
    return tuple(params), var_kw


class _WrongType(Exception):
    pass


def _coerce(value: Any, hint: Any) -> Any:
    """``value`` checked against the type hint (int -> float widened, lists to lists); raise _WrongType."""
    if hint is inspect.Parameter.empty or hint is Any or hint is object:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        for arg in args:
            try:
                return _coerce(value, arg)
            except _WrongType:
                continue
        raise _WrongType
    if hint is type(None):
        if value is None:
            return None
        raise _WrongType
    if origin is typing.Literal:
        if value in args:
            return value
        raise _WrongType
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _WrongType
    if hint is int or hint is bool or hint is str:
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
        raise _WrongType
    if origin in (list, tuple, Sequence) or hint in (list, tuple):
        if not isinstance(value, list | tuple):
            raise _WrongType
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise _WrongType
            return [_coerce(v, a) for v, a in zip(value, args)]
        item = args[0] if args else Any
        return [_coerce(v, item) for v in value]
    if isinstance(hint, type):
        if isinstance(value, hint):
            return value
        raise _WrongType
    return value  # a hint this check does not understand: the class's own __init__ decides


@dataclasses.dataclass(frozen=True)
class Spec:
    """A transform as a config names it: its name, its class and every keyword parameter's value.

    ``label`` names it in summary.json, the report and per-member ablations: the name, followed by the
    parameters whose value differs from the class's default, e.g. ``penalty(coef=0.1)``; ``dir_name`` is
    its run-directory component, e.g. ``penalty,coef=0.1`` (only letters, digits and ``_ . + - = ,``;
    capped at 100 characters with a hash of the label). Build one with :func:`spec`.
    """

    name: str
    cls: type[ActionGradientTransform]
    params: tuple[tuple[str, Any], ...]  # (name, value) for every keyword parameter, in signature order
    shown: tuple[str, ...]  # the parameters the label shows (value differs from the class default)
    target: str | None = None  # the `_target_` the config named; None for a built-in named by its name

    @property
    def label(self) -> str:
        p = dict(self.params)
        shown = ",".join(f"{k}={_fmt(p[k])}" for k in self.shown)
        return f"{self.name}({shown})" if shown else self.name

    @property
    def dir_name(self) -> str:
        p = dict(self.params)
        text = "".join([self.name, *[f",{k}={_fmt(p[k])}" for k in self.shown]])
        safe = re.sub(r"[^A-Za-z0-9_.+=,-]", "_", text)
        if len(safe) > 100:
            safe = f"{safe[:80]},{hashlib.sha1(self.label.encode()).hexdigest()[:12]}"
        return safe

    def record(self) -> dict[str, Any]:
        """What a run's config.yaml records: name, ``_target_`` (if the config gave one), every parameter."""
        return {
            "name": self.name,
            **({"_target_": self.target} if self.target is not None else {}),
            **dict(self.params),
        }

    def build(self, low: Tensor, high: Tensor) -> ActionGradientTransform:
        """``cls(low, high, **params)``; a constructor's ValueError or TypeError becomes a TransformError."""
        try:
            t = self.cls(low, high, **dict(self.params))
        except (ValueError, TypeError) as e:
            raise TransformError(f"transform {self.label!r} ({_qualname(self.cls)}): {e}") from e
        if not isinstance(getattr(t, "range", None), Tensor):
            raise TransformError(
                f"transform {self.label!r} ({_qualname(self.cls)}): __init__ must call "
                "super().__init__(low, high)"
            )
        return t


def spec(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    cls: type[ActionGradientTransform] | None = None,
    target: str | None = None,
) -> Spec:
    """The transform ``name`` with keyword ``params``, checked against the class's ``__init__`` signature.

    ``cls`` None: the registered (built-in) transform called ``name``. Raises TransformError naming what is
    valid: an unknown name (the registered ones), a class that is not a transform, an unknown or missing
    parameter (the class's parameters, with types and defaults), a value of the wrong type.
    """
    params = dict(params or {})
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise TransformError(
            f"transform name {name!r} must be a non-empty string of letters, digits and _ . + - "
            "(it names run directories and report rows)"
        )
    if cls is None:
        if name not in _REGISTRY:
            close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TransformError(
                f"unknown transform {name!r}{hint}; valid transforms: {', '.join(sorted(_REGISTRY))} "
                "(or name your own class with _target_: docs/extending.md)"
            )
        cls = _REGISTRY[name]
    elif not (isinstance(cls, type) and issubclass(cls, ActionGradientTransform)) or cls is PerMember:
        what = f"a {type(cls).__name__}" if not isinstance(cls, type) else f"class {_qualname(cls)}"
        raise TransformError(
            f"transform {name!r}: _target_ {target or _qualname(cls)!r} is {what}, not a subclass of "
            f"{_qualname(ActionGradientTransform)}"
        )
    elif name in _REGISTRY and _REGISTRY[name] is not cls:
        raise TransformError(
            f"transform {name!r}: that name is taken by {_qualname(_REGISTRY[name])}; give "
            f"{_qualname(cls)} a name of its own (taken: {', '.join(sorted(_REGISTRY))})"
        )
    declared, var_kw = parameters(cls)
    by_name = {p.name: p for p in declared}
    where = f"transform {name!r} ({_qualname(cls)})"
    valid = ", ".join(p.describe() for p in declared) or "none"
    for key in params:
        if key not in by_name and not var_kw:
            close = difflib.get_close_matches(key, list(by_name), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TransformError(f"{where}: unknown parameter {key!r}{hint}; valid parameters: {valid}")
    values: list[tuple[str, Any]] = []
    for p in declared:
        if p.name in params:
            try:
                value = _coerce(params[p.name], p.annotation)
            except _WrongType:
                raise TransformError(
                    f"{where}: parameter {p.name!r} must be {_type_name(p.annotation)}, got "
                    f"{type(params[p.name]).__name__} {params[p.name]!r}; valid parameters: {valid}"
                ) from None
        elif p.default is not inspect.Parameter.empty:
            value = p.default
        else:
            raise TransformError(f"{where}: missing parameter {p.name!r}; valid parameters: {valid}")
        values.append((p.name, value))
    values += [(k, v) for k, v in params.items() if k not in by_name]  # into **kwargs, always shown
    shown = tuple(
        k for k, v in values if k not in by_name or by_name[k].default is inspect.Parameter.empty
        or not _same(v, by_name[k].default)
    )  # fmt: skip
    return Spec(name, cls, tuple(values), shown, target)


def _same(a: Any, b: Any) -> bool:
    """Equal as config values: 1 and 1.0 are, True and 1 are not, lists compare item by item."""
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


def as_spec(transform: str | Spec) -> Spec:
    """A Spec as given, or the built-in called ``transform`` with its defaults."""
    return transform if isinstance(transform, Spec) else spec(transform)


SpecLike = Union[str, Spec]  # noqa: UP007 (a runtime alias; the agents' annotations use it)


def make(
    transform: SpecLike | Sequence[SpecLike],
    low: Sequence[float] | np.ndarray | Tensor | Box,
    high: Sequence[float] | np.ndarray | Tensor | None = None,
) -> ActionGradientTransform:
    """The transform ``transform`` names for per-dimension bounds [low, high] (float32 tensors on the CPU).

    ``make("invert", env.action_space)`` takes the bounds of a gymnasium Box (any shape, flattened);
    ``make("invert", low, high)`` takes them as lists, numpy arrays or tensors. ``transform``: a
    built-in's name or a :class:`Spec`; a sequence of them gives a PerMember transform (member m of a
    batched agent uses ``transform[m]``). Move it with ``.to(device)``. Raises TransformError (a
    ValueError) when a name is unknown, the bounds are not finite, or the class refuses its parameters.
    """
    if high is None:
        space = low
        if not isinstance(space, Box):
            raise TransformError(
                f"make({transform!r}, ...): give a gymnasium Box, or low and high; got "
                f"{type(space).__name__} {space!r} and no high"
            )
        low, high = space.low, space.high
    elif isinstance(low, Box):
        raise TransformError(
            f"make({transform!r}, ...): give a gymnasium Box alone, or low and high, not both"
        )
    specs = [as_spec(transform)] if isinstance(transform, str | Spec) else [as_spec(t) for t in transform]
    low_t = torch.as_tensor(np.asarray(low, dtype=np.float32) if not isinstance(low, Tensor) else low)
    high_t = torch.as_tensor(np.asarray(high, dtype=np.float32) if not isinstance(high, Tensor) else high)
    low_t, high_t = low_t.float().reshape(-1), high_t.float().reshape(-1)
    if not bool(torch.isfinite(low_t).all() & torch.isfinite(high_t).all()):
        raise TransformError(
            f"transform {specs[0].label!r}: every bound must be finite (a transform measures u against "
            f"[low, high]), got low={low_t.tolist()} high={high_t.tolist()}"
        )
    if isinstance(transform, str | Spec):
        return specs[0].build(low_t, high_t)
    return PerMember(specs, low_t, high_t)
