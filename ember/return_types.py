"""torch.return_types: the named tuples that max/min/sort/topk/svd/... return.

They are tuple subclasses with named fields that print like torch's structseqs:
`torch.return_types.max(\\nvalues=tensor(...),\\nindices=tensor(...))`.
"""
from __future__ import annotations


def _make(name, fields):
    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], (tuple, list)) and \
                len(args[0]) == len(fields):
            args = tuple(args[0])
        vals = list(args) + [kwargs[f] for f in fields[len(args):]]
        return tuple.__new__(cls, vals)

    def __repr__(self):
        from ._printing import return_types_repr
        return return_types_repr(name, [(f, repr(v)) for f, v in zip(fields, self)])

    def __reduce__(self):
        return (cls, (tuple(self),))

    ns = {"__new__": __new__, "__repr__": __repr__, "__str__": __repr__, "__slots__": (),
          "__reduce__": __reduce__, "n_fields": len(fields), "n_sequence_fields": len(fields),
          "n_unnamed_fields": 0, "_fields": tuple(fields)}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    cls = type(name, (tuple,), ns)
    cls.__module__ = "torch.return_types"
    cls.__qualname__ = name
    return cls


max = _make("max", ("values", "indices"))
min = _make("min", ("values", "indices"))
sort = _make("sort", ("values", "indices"))
topk = _make("topk", ("values", "indices"))
kthvalue = _make("kthvalue", ("values", "indices"))
median = _make("median", ("values", "indices"))
nanmedian = _make("nanmedian", ("values", "indices"))
mode = _make("mode", ("values", "indices"))
cummax = _make("cummax", ("values", "indices"))
cummin = _make("cummin", ("values", "indices"))
aminmax = _make("aminmax", ("min", "max"))
svd = _make("svd", ("U", "S", "V"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
qr = _make("qr", ("Q", "R"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = _make("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
linalg_inv_ex = _make("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = _make("linalg_cholesky_ex", ("L", "info"))
linalg_lstsq = _make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
lu_unpack = _make("lu_unpack", ("P", "L", "U"))
histogram = _make("histogram", ("hist", "bin_edges"))
frexp = _make("frexp", ("mantissa", "exponent"))
geqrf = _make("geqrf", ("a", "tau"))
histogramdd = _make("histogramdd", ("hist", "bin_edges"))
linalg_solve_ex = _make("linalg_solve_ex", ("result", "info"))
linalg_lu_factor = _make("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _make("linalg_lu", ("P", "L", "U"))
_lu_with_info = _make("_lu_with_info", ("LU", "pivots", "info"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))
