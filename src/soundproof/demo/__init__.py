"""The offline demo set behind ``soundproof demo`` (see :mod:`soundproof.demo.generate`)."""

from soundproof.demo.generate import CLIPS, make_demo_set

__all__ = ["CLIPS", "make_demo_set"]
