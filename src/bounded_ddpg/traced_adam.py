"""Adam's step as plain tensor operations, for the compiled update (agent.compile; compiled.py).

``torch.optim.Adam.step`` cannot be traced into one graph: TorchDynamo breaks the graph around it (its
profiler label, its ``_use_grad`` decorator and the fused kernel), so a compiled phase would be several
graphs (gradients | Adam | clip | ... | target update). ``adam_step_`` does the same update with torch
operations only (no ``.item()``, no Python branch on a tensor's value), so that the whole phase traces as
one graph. It is torch.optim.Adam's default algorithm (Kingma & Ba 2015, Algorithm 1; no amsgrad, no weight
decay, not maximize; torch/optim/adam.py's ``_single_tensor_adam``):

    step += 1;  m <- lerp(m, g, 1 - beta1);  v <- beta2 v + (1 - beta2) g^2
    theta <- theta - lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)

with the bias corrections computed from the 0-d ``step`` tensor (in float32, where torch's default path
converts it to a Python float: results agree to float rounding, tests/test_compile.py). It runs on the very
state tensors the agent's ``torch.optim.Adam`` holds (``opt.state[p]["exp_avg"]``, ``["exp_avg_sq"]``,
``["step"]``) with the lr and betas of its param groups, so checkpoints, member slicing (DDPG.member_state),
resume and the per-member lr_scale (DDPG._step) are the same whichever step ran. The eager update keeps
torch's fused kernel (``DDPG._step`` chooses: this one only while TorchDynamo traces).
"""

from __future__ import annotations

import torch
from torch import Tensor

# The Adam options this step implements, with the values it requires (torch's defaults).
_REQUIRED = {"amsgrad": False, "weight_decay": 0.0, "maximize": False}


def check(opt: torch.optim.Optimizer) -> None:
    """ValueError unless ``opt`` is a torch.optim.Adam whose options this step implements."""
    if not isinstance(opt, torch.optim.Adam):
        raise ValueError(f"traced_adam: a torch.optim.Adam is required, got {type(opt).__name__}")
    for group in opt.param_groups:
        wrong = {k: group[k] for k, v in _REQUIRED.items() if group.get(k, v) != v}
        if wrong:
            raise ValueError(f"traced_adam: Adam options {wrong} are not implemented; valid: {_REQUIRED}")


def init_state(opt: torch.optim.Optimizer) -> None:
    """Give every parameter of ``opt`` the state torch's Adam creates at its first step, where it has none
    yet: zero moments and a 0-d float32 ``step`` of 0 on the parameter's device (the fused kernel's
    layout). Called outside the traced graph, before each compiled update (cheap when all state exists)."""
    for group in opt.param_groups:
        for p in group["params"]:
            state = opt.state[p]
            if not state:
                state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)


@torch.no_grad()
def adam_step_(opt: torch.optim.Optimizer) -> None:
    """One Adam step of every parameter of ``opt`` that has a .grad, in place (module docstring).

    The state must exist (``init_state``) and the options be Adam's defaults (``check``); both are checked
    by the caller outside the traced graph, not here, so that nothing in here breaks it.
    """
    for group in opt.param_groups:
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        for p in group["params"]:
            grad: Tensor | None = p.grad
            if grad is None:
                continue
            state = opt.state[p]
            step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
            step.add_(1)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction2_sqrt = (1 - beta2**step).sqrt()
            step_size = lr / (1 - beta1**step)
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            p.sub_(exp_avg / denom * step_size)
