"""ember.ops: one Op class per torch autograd node, grouped as torch groups them.

elementwise (arithmetic, math, comparisons), reduction, shape (views), indexing, linalg,
convert (.to), inplace (the `_` ops and out=), random_ops (in-place samplers)."""
