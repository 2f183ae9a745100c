"""Optional adapters to other libraries' training loops, each imported only when its extra is installed.

``bounded_ddpg.integrations.sb3``: Stable-Baselines3's TD3 and DDPG (``pip install "bounded_ddpg[sb3]"``).
"""
