"""A package for `oomph run -m oomph_pkg.alloc`."""
