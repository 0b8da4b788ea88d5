"""grid_sampler (F.grid_sample: 2-D bilinear/nearest/bicubic, 3-D bilinear/nearest, padding
zeros/border/reflection) and affine_grid_generator (F.affine_grid), as torch's CPU kernels
compute them. ember/nn/functional.py checks the arguments and calls these.

Sampling is a weighted sum over "taps" (2^d corners, one nearest point, or 4x4 bicubic points):
every tap is a flat index into the input's spatial block, an in-bounds mask and a weight that is
a product of per-axis factors of the fractional coordinate. Forward and the array `vjp` gather /
scatter those taps with NumPy; the Tensor `backward` builds the same sums from ember ops (the
coordinates linearised with torch's gradient multipliers) so grids have higher derivatives.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from .._tensor import _wrap
from ..autograd.op import Op

_A = -0.75  # the bicubic convolution constant (as torch's upsample/grid_sample)


# ---- coordinates ---------------------------------------------------------------------------------

def _clip(i, size):
    """clip to [0, size-1] (NaN -> 0) and the strict in-range mask torch's clip gradient uses."""
    lo = np.fmax(i, 0)
    r = np.minimum(lo, size - 1)
    return r, (lo != 0) & (r != size - 1)


def _source(g, size, padding, align, vec):
    """Source index along one axis of the normalised coords g, and d index / d g (torch's
    *_set_grad multipliers). `vec`: 2-D grids follow torch's vectorised CPU kernel, 3-D its
    scalar one (the two round differently)."""
    t = g.dtype.type
    if align:
        scale = t(size - 1) / t(2)
        i = (g + t(1)) * scale if vec else ((g + t(1)) / t(2)) * t(size - 1)
    else:
        scale = t(size) / t(2)
        i = (g + t(1)) * scale - t(0.5) if vec else ((g + t(1)) * t(size) - t(1)) / t(2)
    mult = np.full(g.shape, scale, dtype=g.dtype)
    if padding == 1:
        i, inb = _clip(i, size)
        mult *= inb
    elif padding == 2:
        i, sign = _reflect(i, size, align, vec)
        i, inb = _clip(i, size)
        mult *= sign * inb
    return i, mult


def _reflect(i, size, align, vec):
    """Reflect coordinates into the input's span; returns (coords, gradient sign)."""
    t = i.dtype.type
    if align:
        low, twice = t(0), t(2 * (size - 1))
    else:
        low, twice = t(-0.5), t(2 * size)
    if twice == 0:
        return np.zeros_like(i), np.zeros_like(i)
    x = i - low
    neg = x < 0
    a = np.abs(x)
    if vec:
        extra = a - np.trunc(a / twice) * twice
        other = twice - extra
        flip = extra > other
        r = np.where(flip, other, extra) + low
    else:
        span = twice / t(2)
        extra = np.fmod(a, span)
        flip = (np.floor(a / span) % 2) == 1
        r = np.where(flip, span - extra, extra) + low
    return r, np.where(flip ^ neg, t(-1), t(1))


# ---- taps ------------------------------------------------------------------------------------------

def _cubic(t, one):
    """The four bicubic weights of fraction t and their derivatives d/dt (arrays or Tensors;
    `one` is 1 in t's type). Torch's vectorised formulas."""
    A = _A
    x0, x1, x2, x3 = t + one, t, one - t, (one + one) - t
    c = [((x0 * A - 5 * A) * x0 + 8 * A) * x0 - 4 * A,
         ((x1 * (A + 2) - (A + 3)) * x1) * x1 + one,
         ((x2 * (A + 2) - (A + 3)) * x2) * x2 + one,
         ((x3 * A - 5 * A) * x3 + 8 * A) * x3 - 4 * A]
    d = [(x0 * (3 * A) - 10 * A) * x0 + 8 * A,
         (x1 * (3 * (A + 2)) - 2 * (A + 3)) * x1,
         -((x2 * (3 * (A + 2)) - 2 * (A + 3)) * x2),
         -((x3 * (3 * A) - 10 * A) * x3 + 8 * A)]
    return c, d


class _Plan:
    """Where and how one grid samples: per-tap flat indices and masks (constants), per-axis
    coordinates, floors and gradient multipliers. Built once in forward, reused in backward."""

    def __init__(self, x_shape, grid, mode, padding, align):
        self.mode, self.padding, self.align = mode, padding, align
        n = x_shape[0]
        sp = x_shape[2:]
        d = len(sp)
        self.d, self.sp = d, sp
        self.out_sp = grid.shape[1:-1]
        p = math.prod(self.out_sp)
        g = grid.reshape(n, p, d)
        vec = d == 2
        # axis k of the grid's last dim indexes spatial dim d-1-k (x is width)
        self.coords, self.mults, self.floors = [], [], []
        for k in range(d):
            size = sp[d - 1 - k]
            if mode == 2:  # bicubic: padding is applied per tap, the gradient is the scale only
                i, m = _source(g[..., k], size, 0, align, vec)
            else:
                i, m = _source(g[..., k], size, padding, align, vec)
            self.coords.append(i)
            self.mults.append(m)
            self.floors.append(np.rint(i) if mode == 1 else np.floor(i))
        self.offsets = [(0,)] if mode == 1 else ([(0, 1)] if mode == 0 else [(-1, 0, 1, 2)])
        offs = self.offsets[0]
        # taps ordered with the last grid axis (z, then y) outermost and x innermost, as torch
        # accumulates them; per axis a list of (integer index, in-bounds) for each offset
        per_axis = []
        for k in range(d):
            size = sp[d - 1 - k]
            rows = []
            for o in offs:
                c = self.floors[k] + o
                if mode == 2 and padding:
                    if padding == 2:
                        c = _reflect(c, size, align, vec)[0]
                    c = _clip(c, size)[0]
                ok = (c >= 0) & (c < size)
                rows.append((np.where(ok, c, 0).astype(np.int64), ok))
            per_axis.append(rows)
        strides = [math.prod(sp[d - k:]) for k in range(d)]  # stride of axis k's spatial dim
        flats, valid, self.taps = [], [], []
        for combo in itertools.product(range(len(offs)), repeat=d):
            ks = combo[::-1]  # ks[k]: offset index along grid axis k
            f = 0
            ok = True
            for k in range(d):
                c, m = per_axis[k][ks[k]]
                f = f + c * strides[k]
                ok = ok & m
            flats.append(f)
            valid.append(ok)
            self.taps.append(ks)
        self.flat = np.stack(flats, 1)     # (N, K, P)
        self.valid = np.stack(valid, 1)    # (N, K, P)
        self.n, self.p, self.k = n, p, len(self.taps)

    def factors(self, coords, one, cube):
        """Per axis, per offset: (weight, d weight / d coord) from the coordinates (arrays or
        Tensors). torch: 2-D weights 1 - frac / frac, 3-D (floor + 1) - i / i - floor."""
        out = []
        for k in range(self.d):
            fr = coords[k] - cube(self.floors[k])
            if self.mode == 2:
                c, dc = _cubic(fr, one)
                out.append(list(zip(c, dc)))
            elif self.d == 2:
                out.append([(one - fr, -one), (fr, one)])
            else:
                out.append([(-(coords[k] - cube(self.floors[k] + 1)), -one), (fr, one)])
        return out

    def weights(self, fac):
        """Each tap's weight and its derivatives along every axis (2-D: y * x, 3-D: x*y*z)."""
        order = [1, 0] if self.d == 2 else list(range(self.d))
        ws, ds = [], [[] for _ in range(self.d)]
        for ks in self.taps:
            w = None
            for k in order:
                f = fac[k][ks[k]][0]
                w = f if w is None else w * f
            ws.append(w)
            for a in range(self.d):
                dw = None
                for k in order:
                    f = fac[k][ks[k]][1 if k == a else 0]
                    dw = f if dw is None else dw * f
                ds[a].append(dw)
        return ws, ds


def _gather(xf, plan):
    """Tap values (N, C, K, P) of the flattened input xf (N, C, L); zero out of bounds."""
    n, c, L = xf.shape
    # channel planes of all batches side by side plus one zero that out-of-bounds taps read:
    # one np.take reads every tap of every channel (no mask pass afterwards)
    rows = np.where(plan.valid, plan.flat + (np.arange(n, dtype=np.int64) * L)[:, None, None],
                    n * L)
    planes = np.empty((c, n * L + 1), xf.dtype)
    planes[:, :-1].reshape(c, n, L)[...] = xf.transpose(1, 0, 2)  # a view: rows are contiguous
    planes[:, -1] = 0
    return np.take(planes, rows, axis=1).transpose(1, 0, 2, 3)


def _sample(x, plan):
    """(output, tap values)."""
    n, c = x.shape[:2]
    xf = x.reshape(n, c, -1)
    v = _gather(xf, plan)
    if plan.mode == 1:
        out = v[:, :, 0]
    elif plan.mode == 0:
        ws, _ = plan.weights(plan.factors(plan.coords, x.dtype.type(1), lambda a: a))
        out = None
        for t, w in enumerate(ws):
            term = v[:, :, t] * w[:, None]
            out = term if out is None else out + term
    else:
        fac = plan.factors(plan.coords, x.dtype.type(1), lambda a: a)
        cx, cy = [f[0] for f in fac[0]], [f[0] for f in fac[1]]
        out = None
        for j in range(4):  # torch: interpolate along x for each of the 4 rows, then along y
            row = None
            for i in range(4):
                term = cx[i][:, None] * v[:, :, 4 * j + i]
                row = term if row is None else row + term
            term = cy[j][:, None] * row
            out = term if out is None else out + term
    return out.reshape((n, c) + tuple(plan.out_sp)), v


class GridSampler(Op):
    """out[n, c, p] = sum over taps of w_tap(grid[n, p]) * input[n, c, tap]."""

    def forward(self, x, grid, mode=0, padding=0, align=False):
        self.low = None
        if x.dtype.itemsize < 4:  # half / bfloat16: computed in float32, rounded at the end
            self.low = x.dtype
            x, grid = x.astype(np.float32), grid.astype(np.float32)
        self.plan = _Plan(x.shape, grid, mode, padding, align)
        self.x_shape = x.shape
        self.save_inputs(0, 1)
        out, v = _sample(x, self.plan)
        # the grid's gradient reads the same tap values: keep them when it will be wanted
        self.v = v if self._args is not None and self._args[1]._rg else None
        return out if self.low is None else out.astype(self.low)

    def vjp(self, grad):
        x, grid = self.saved_inputs()
        x = x._data
        plan = self.plan
        if self.low is not None:
            x, grad = x.astype(np.float32), grad.astype(np.float32)
        n, c = x.shape[:2]
        L = math.prod(plan.sp)
        gf = grad.reshape(n, c, plan.p)
        one = x.dtype.type(1)
        nx, ng = self.needs_input_grad
        gx = gg = None
        if plan.mode == 1:
            ws = [np.ones((n, plan.p), x.dtype)]
            ds = None
        else:
            ws, ds = plan.weights(plan.factors(plan.coords, one, lambda a: a))
        if nx:
            w = np.stack(ws, 1) * plan.valid                          # (N, K, P)
            src = gf[:, :, None, :] * w[:, None]                      # (N, C, K, P)
            base = (np.arange(n * c, dtype=np.int64) * L).reshape(n, c, 1, 1)
            idx = base + plan.flat[:, None]
            gx = np.bincount(idx.ravel(), src.ravel(), minlength=n * c * L)
            gx = gx.astype(x.dtype).reshape(x.shape)
        if ng:
            if plan.mode == 1:
                gg = np.zeros(grid.shape, dtype=grid._data.dtype)
            else:
                v = self.v if self.v is not None else _gather(x.reshape(n, c, L), plan)
                gv = np.einsum("nckp,ncp->nkp", v, gf)
                gg = np.stack([(gv * np.stack(ds[a], 1)).sum(1) * plan.mults[a]
                               for a in range(plan.d)], -1).reshape(grid.shape)
        if self.low is not None:
            gx = None if gx is None else gx.astype(self.low)
            gg = None if gg is None else gg.astype(self.low)
        return gx, gg

    def backward(self, grad):
        from .._creation import zeros
        from .shape import stack
        x, grid = self.saved_inputs()
        plan = self.plan
        n, c = self.x_shape[:2]
        L = math.prod(plan.sp)
        gf = grad.reshape(n, c, plan.p)
        nx, ng = self.needs_input_grad
        gx = gg = None
        if plan.mode == 1:
            ws = [_wrap(np.ones((n, plan.p), x._data.dtype))]
            ds = None
        else:
            # coordinates linearised around their values: exact values, torch's multipliers
            g = grid.reshape(n, plan.p, plan.d)
            gd = g.detach()
            coords = [_wrap(plan.coords[k]) + (g[..., k] - gd[..., k]) * _wrap(plan.mults[k])
                      for k in range(plan.d)]
            ws, ds = plan.weights(plan.factors(coords, 1.0, _wrap))
        valid = _wrap(plan.valid.astype(x._data.dtype))
        if nx:
            w = stack(ws, 1) * valid
            src = (gf.unsqueeze(2) * w.unsqueeze(1)).reshape(n, c, plan.k * plan.p)
            idx = _wrap(np.ascontiguousarray(np.broadcast_to(
                plan.flat.reshape(n, 1, -1), (n, c, plan.k * plan.p))))
            gx = zeros(n, c, L, dtype=x.dtype).scatter_add(2, idx, src).reshape(self.x_shape)
        if ng:
            if plan.mode == 1:
                gg = zeros(grid.shape, dtype=grid.dtype)
            else:
                idx = _wrap(np.ascontiguousarray(np.broadcast_to(
                    plan.flat.reshape(n, 1, -1), (n, c, plan.k * plan.p))))
                v = x.reshape(n, c, L).gather(2, idx).reshape(n, c, plan.k, plan.p) * \
                    valid.unsqueeze(1)
                gv = (v * gf.unsqueeze(2)).sum(1)
                gg = stack([(gv * stack(ds[a], 1)).sum(1) * _wrap(plan.mults[a])
                            for a in range(plan.d)], -1).reshape(grid.shape)
        return gx, gg

    def _release(self):
        self.plan = self.v = None
        Op._release(self)


class GridSampler2D(GridSampler):
    pass


class GridSampler3D(GridSampler):
    pass


# ---- affine_grid -----------------------------------------------------------------------------------

def _linspace_neg_one(n, align, dt):
    """torch's linspace_from_neg_one: -1..1 in n steps, shrunk by (n-1)/n without align."""
    if n <= 1:
        return np.zeros(1, dtype=dt)
    from .._creation import linspace
    from .._dtype import _FROM_NP
    r = linspace(-1, 1, n, dtype=_FROM_NP[np.dtype(dt)])._data
    if not align:
        r = r * dt.type(n - 1) / dt.type(n)
    return r


def _base_grid(spatial, align, dt):
    """(prod(spatial), d+1) rows (x, y[, z], 1) with x varying fastest."""
    d = len(spatial)
    parts = []
    for k in range(d):
        ax = d - 1 - k  # grid column k runs along spatial dim d-1-k
        shape = [1] * d
        shape[ax] = spatial[ax]
        lin = _linspace_neg_one(spatial[ax], align, dt).reshape(shape)
        parts.append(np.broadcast_to(lin, spatial))
    parts.append(np.ones(spatial, dtype=dt))
    return np.stack(parts, -1).reshape(-1, d + 1)


class AffineGridGenerator(Op):
    """grid[n, p] = base[p] @ theta[n]^T: the sampling grid of an affine map."""

    def forward(self, theta, size=(), align=False):
        spatial = tuple(size[2:])
        self.base = _base_grid(spatial, align, theta.dtype)
        self.out_shape = (size[0],) + spatial + (len(spatial),)
        return np.matmul(self.base, theta.transpose(0, 2, 1)).reshape(self.out_shape)

    def vjp(self, grad):
        g = grad.reshape(grad.shape[0], -1, grad.shape[-1])
        return np.matmul(self.base.T, g).transpose(0, 2, 1)

    def backward(self, grad):
        g = grad.reshape(grad.shape[0], -1, grad.shape[-1])
        return (_wrap(self.base.T) @ g).transpose(1, 2)
