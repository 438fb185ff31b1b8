"""Qinqing (亲清): supervision of a city's business environment."""

__version__ = "0.1.0"
