"""The interpreter's own baseline: a program that does nothing."""
