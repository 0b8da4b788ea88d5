"""torch.fft: discrete Fourier transforms on NumPy's pocketfft, with torch's dtypes (float32 ->
complex64), norms, size/dim arguments, errors and gradients.

Three nodes, named as torch names them: FftR2C (real input: fft of a real tensor, rfft),
FftC2C (complex to complex) and FftC2R (irfft). Each backward is the adjoint transform:
the opposite direction with the same scale factor (the "dual" norm), plus torch's rules for
one-sided spectra (zeros for the dropped half going back; doubled mirrored bins for irfft)."""
from __future__ import annotations

import numpy as np

import ember as _e
from ._tensor import Tensor, _wrap
from .autograd.op import Op
from .ops._broadcast import wrap_dim

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _complex_of(dt):
    return np.dtype(np.complex128) if dt == np.float64 else np.dtype(np.complex64)


class FftR2C(Op):
    """Real input -> its DFT over `dims` (only the non-negative half of the last dim when
    onesided)."""

    def forward(self, x, dims=(), norm="backward", onesided=False):
        self.dims, self.norm, self.onesided = dims, norm, onesided
        self.in_shape = x.shape
        cdt = _complex_of(x.dtype)
        if onesided:
            return np.fft.rfftn(x, axes=dims, norm=norm).astype(cdt, copy=False)
        return np.fft.fftn(x, axes=dims, norm=norm).astype(cdt, copy=False)

    def backward(self, grad):
        if self.onesided:
            last = self.dims[-1]
            pad = [0, 0] * (grad.dim() - last - 1) + [0, self.in_shape[last] - grad.shape[last]]
            grad = _e.nn.functional.pad(grad, pad)
        g = FftC2C.apply(grad, dims=self.dims, norm=_DUAL[self.norm], forward=False)
        return _RealPart.apply(g)

    def vjp(self, grad):
        if self.onesided:   # the dropped half had no effect: its gradient is zero
            last = self.dims[-1]
            full = self.in_shape[last]
            pad = [(0, 0)] * grad.ndim
            pad[last] = (0, full - grad.shape[last])
            grad = np.pad(grad, pad)
        g = np.fft.ifftn(grad, axes=self.dims, norm=_DUAL[self.norm])
        return np.ascontiguousarray(g.real).astype(_real_of(grad.dtype), copy=False)


class FftC2C(Op):
    """Complex input -> forward or inverse DFT over `dims`."""

    def forward(self, x, dims=(), norm="backward", forward=True):
        self.dims, self.norm, self.fwd = dims, norm, forward
        f = np.fft.fftn if forward else np.fft.ifftn
        return f(x, axes=dims, norm=norm).astype(x.dtype, copy=False)

    def backward(self, grad):
        return FftC2C.apply(grad, dims=self.dims, norm=_DUAL[self.norm], forward=not self.fwd)

    def vjp(self, grad):
        f = np.fft.ifftn if self.fwd else np.fft.fftn
        return f(grad, axes=self.dims, norm=_DUAL[self.norm]).astype(grad.dtype, copy=False)


class FftC2R(Op):
    """One-sided complex spectrum -> real signal (last dim of size `last_size`)."""

    def forward(self, x, dims=(), norm="backward", last_size=0):
        self.dims, self.norm = dims, norm
        s = [x.shape[d] for d in dims[:-1]] + [last_size]
        return np.fft.irfftn(x, s=s, axes=dims, norm=norm).astype(_real_of(x.dtype), copy=False)

    def backward(self, grad):
        g = FftR2C.apply(grad, dims=self.dims, norm=_DUAL[self.norm], onesided=True)
        last = self.dims[-1]
        double = grad.shape[last] - g.shape[last]
        if double <= 0:
            return g
        w = np.ones(g.shape[last], _real_of(g._data.dtype))
        w[1:1 + double] = 2
        return g * _wrap(w.reshape((-1,) + (1,) * (g.dim() - last - 1)))

    def vjp(self, grad):
        g = np.fft.rfftn(grad, axes=self.dims, norm=_DUAL[self.norm]).astype(
            _complex_of(grad.dtype), copy=False)
        last = self.dims[-1]
        double = grad.shape[last] - g.shape[last]
        if double > 0:   # bins whose mirror images were filled in by conjugate symmetry
            idx = [slice(None)] * g.ndim
            idx[last] = slice(1, 1 + double)
            g[tuple(idx)] *= 2
        return g


class _RealPart(Op):
    """The real part of a complex tensor, as a differentiable copy (backward: the gradient as a
    complex tensor with zero imaginary part)."""
    node_name = "RealBackward0"

    def forward(self, x):
        self.cdt = x.dtype
        return np.ascontiguousarray(x.real)

    def backward(self, grad):
        return _ToComplex.apply(grad, dtype=self.cdt)


class _ToComplex(Op):
    node_name = "ToCopyBackward0"

    def forward(self, x, dtype=None):
        return x.astype(dtype)

    def backward(self, grad):
        return _RealPart.apply(grad)


def _real_of(dt):
    return np.dtype(np.float64) if dt in (np.complex128, np.float64) else np.dtype(np.float32)


def _dims(nd, s, dim):
    """The transformed dims: `dim` wrapped, or the last len(s) dims, or all of them."""
    if dim is None:
        return tuple(range(nd - len(s), nd)) if s is not None else tuple(range(nd))
    dims = tuple(wrap_dim(d, nd) for d in ((dim,) if isinstance(dim, int) else dim))
    if s is not None and len(s) != len(dims):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    return dims


def _prep(x, s, dim, fname="fft"):
    """Promote to a floating/complex tensor, normalise dims, and zero-pad or trim each
    transformed dim to its requested size (differentiably, through ember ops)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(_e.get_default_dtype())
    nd = x.dim()
    dims = _dims(nd, s, dim)
    if s is not None:
        for d, n in zip(dims, s):
            if n == -1:
                continue
            if n < 1:
                raise RuntimeError(f"Invalid number of data points ({n}) specified")
            cur = x.shape[d]
            if n < cur:
                x = x.narrow(d, 0, n)
            elif n > cur:
                pad = [0, 0] * (nd - d - 1) + [0, n - cur]
                x = _e.nn.functional.pad(x, pad)
    return x, dims


def _c2c_or_r2c(x, s, dim, norm, forward, fname):
    norm = _norm(norm)
    x, dims = _prep(x, s, dim, fname=fname)
    if x.is_complex():
        return FftC2C.apply(x, dims=dims, norm=norm, forward=forward)
    if forward:
        return FftR2C.apply(x, dims=dims, norm=norm, onesided=False)
    # inverse of a real signal: the complex conjugate of the forward transform, scaled
    return FftC2C.apply(x.to(_e.complex128 if x.dtype == _e.float64 else _e.complex64),
                        dims=dims, norm=norm, forward=False)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """One-dimensional DFT (see torch.fft.fft)."""
    return _out(_c2c_or_r2c(input, None if n is None else (n,), dim, norm, True, "fft_fft"), out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse one-dimensional DFT (see torch.fft.ifft)."""
    return _out(_c2c_or_r2c(input, None if n is None else (n,), dim, norm, False, "fft_ifft"),
                out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-dimensional DFT (see torch.fft.fftn)."""
    return _out(_c2c_or_r2c(input, s, dim, norm, True, "fft_fftn"), out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """Inverse N-dimensional DFT (see torch.fft.ifftn)."""
    return _out(_c2c_or_r2c(input, s, dim, norm, False, "fft_ifftn"), out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Two-dimensional DFT (see torch.fft.fft2)."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Inverse two-dimensional DFT (see torch.fft.ifft2)."""
    return ifftn(input, s, dim, norm, out=out)


def _r2c(input, s, dim, norm, fname):
    if isinstance(input, Tensor) and input.is_complex():
        raise RuntimeError(f"{fname} expects a real input tensor, but got {_legacy(input)}")
    x, dims = _prep(input, s, dim, fname=fname)
    return FftR2C.apply(x, dims=dims, norm=_norm(norm), onesided=True)


def _legacy(t):
    return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(
        str(t.dtype).split(".")[-1], str(t.dtype))


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """DFT of a real signal, non-negative frequencies only (see torch.fft.rfft)."""
    return _out(_r2c(input, None if n is None else (n,), dim, norm, "rfft"), out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-dimensional rfft (see torch.fft.rfftn)."""
    return _out(_r2c(input, s, dim, norm, "rfftn"), out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Two-dimensional rfft (see torch.fft.rfft2)."""
    return rfftn(input, s, dim, norm, out=out)


def _c2r(input, s, dim, norm, fname):
    norm = _norm(norm)
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    x = input
    if not x.is_complex():
        x = x.to(_e.complex128 if x.dtype == _e.float64 else _e.complex64)
    nd = x.dim()
    dims = _dims(nd, s, dim)
    last = dims[-1]
    if s is not None and s[-1] != -1:
        last_size = s[-1]
    else:
        last_size = 2 * (x.shape[last] - 1)
    if last_size < 1:
        raise RuntimeError(f"Invalid number of data points ({last_size}) specified")
    # the other dims are padded/trimmed like fftn; the last to the one-sided length needed
    sizes = list(s) if s is not None else [-1] * len(dims)
    sizes[-1] = last_size // 2 + 1
    x, _ = _prep(x, tuple(sizes), dims, fname=fname)
    return FftC2R.apply(x, dims=dims, norm=norm, last_size=last_size)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of rfft: a real signal of length n (see torch.fft.irfft)."""
    return _out(_c2r(input, None if n is None else (n,), dim, norm, "irfft"), out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-dimensional irfft (see torch.fft.irfftn)."""
    return _out(_c2r(input, s, dim, norm, "irfftn"), out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Two-dimensional irfft (see torch.fft.irfft2)."""
    return irfftn(input, s, dim, norm, out=out)


# The Hermitian pair: hfft* is the FFT of a signal given by its one-sided half (real output),
# ihfft* its inverse. For such a signal FFT(X) = N * irfft(conj(X)), so they are the C2R/R2C
# transforms of the conjugate with the dual normalisation.

def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """FFT of a one-sided Hermitian signal: a real signal of length n (see torch.fft.hfft)."""
    return hfftn(input, None if n is None else (n,), (dim,), norm, out=out, _name="hfft")


def hfftn(input, s=None, dim=None, norm=None, *, out=None, _name="hfftn"):
    """N-dimensional hfft: the last dim holds the one-sided half (see torch.fft.hfftn)."""
    norm = _norm(norm)
    x = input.conj() if isinstance(input, Tensor) and input.is_complex() else input
    return _out(_c2r(x, s, dim, _DUAL[norm], _name), out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Two-dimensional hfft (see torch.fft.hfft2)."""
    return hfftn(input, s, dim, norm, out=out, _name="hfft2")


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of hfft: the one-sided half of a real signal's inverse FFT (see
    torch.fft.ihfft)."""
    return ihfftn(input, None if n is None else (n,), (dim,), norm, out=out, _name="ihfft")


def ihfftn(input, s=None, dim=None, norm=None, *, out=None, _name="ihfftn"):
    """N-dimensional ihfft (see torch.fft.ihfftn)."""
    return _out(_r2c(input, s, dim, _DUAL[_norm(norm)], _name).conj(), out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Two-dimensional ihfft (see torch.fft.ihfft2)."""
    return ihfftn(input, s, dim, norm, out=out, _name="ihfft2")


def _out(r, out):
    if out is None:
        return r
    from .ops.inplace import copy_into_out
    return copy_into_out(out, r)


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an n-point DFT (see torch.fft.fftfreq)."""
    dt = dtype or _e.get_default_dtype()
    r = _e.tensor(np.fft.fftfreq(n, d), dtype=dt, device=device)
    return r.requires_grad_(requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an n-point rfft (see torch.fft.rfftfreq)."""
    dt = dtype or _e.get_default_dtype()
    r = _e.tensor(np.fft.rfftfreq(n, d), dtype=dt, device=device)
    return r.requires_grad_(requires_grad)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre (see torch.fft.fftshift)."""
    dims = tuple(range(input.dim())) if dim is None else (
        (dim,) if isinstance(dim, int) else tuple(dim))
    return _e.roll(input, [input.shape[d] // 2 for d in dims], list(dims))


def ifftshift(input, dim=None):
    """Inverse of fftshift (see torch.fft.ifftshift)."""
    dims = tuple(range(input.dim())) if dim is None else (
        (dim,) if isinstance(dim, int) else tuple(dim))
    return _e.roll(input, [-(input.shape[d] // 2) for d in dims], list(dims))


def __getattr__(name):
    raise AttributeError(f"module 'ember.fft' has no attribute '{name}' (ember does not "
                         f"implement torch.fft.{name})")

