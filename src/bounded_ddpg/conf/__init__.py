"""Hydra configs of bounded_ddpg; a package so that pkg://bounded_ddpg.conf resolves in an installed wheel."""
