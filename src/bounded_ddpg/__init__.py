"""bounded_ddpg: DDPG with a pluggable action-gradient transform between dQ/da and the actor.

Importing the package registers the native parameterised-action environments with gymnasium
(``bounded_ddpg/Platform-v0``, ``bounded_ddpg/Goal-v0``).
"""

from bounded_ddpg import envs as envs  # registration side effect

__version__ = "0.1.0"
