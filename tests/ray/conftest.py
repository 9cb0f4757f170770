"""The fixtures of ``ray_served`` for this directory's tests."""

from ray_served import model, served

__all__ = ["model", "served"]
