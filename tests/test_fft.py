"""ember.fft vs torch.fft: a program of transforms (sizes, dims, norms, one-sided spectra),
errors and gradients through every node kind prints what torch prints; gradcheck-style checks
against torch for second order."""
import re
import subprocess
import sys

import numpy as np
import pytest

import ember
from tests.oracle import check

PROGRAM = "import torch\nx=torch.tensor([[1.,2.,3.],[4.,5.,6.]])\nprint(torch.fft.fft(x, n=4), torch.fft.fft(x, n=2, dim=0), torch.fft.rfft(x, n=5), torch.fft.irfft(torch.fft.rfft(x)), torch.fft.irfft(torch.fft.rfft(x), n=3))\nprint(torch.fft.fftn(x, s=(3,4)), torch.fft.rfft2(x), torch.fft.fft(x, norm='ortho')[0], torch.fft.ifft2(x), torch.fft.irfft2(torch.fft.rfft2(x), s=(2,3)))\nprint(torch.fft.fft(torch.tensor([1,2,3])), torch.fft.fftfreq(5), torch.fft.fftshift(torch.arange(6)), torch.fft.rfftfreq(5, d=0.5), torch.fft.ifftshift(torch.arange(6).view(2,3)))\nfor f in [lambda: torch.fft.fft(x, norm='bad'), lambda: torch.fft.fft(x, n=0), lambda: torch.fft.rfft(torch.tensor([1+1j])), lambda: torch.fft.fft(x, dim=2), lambda: torch.fft.fftn(x, s=(2,), dim=(0,1))]:\n  try: print(f())\n  except Exception as e: print(type(e).__name__, e)\nx=torch.tensor([1.,2.,3.,4.,5.],requires_grad=True)\ny=torch.fft.rfft(x); print(y.grad_fn); y.abs().sum().backward(); print(x.grad)\nx.grad=None; w=torch.fft.irfft(torch.fft.rfft(x)*torch.tensor([1,2,3.])); print(w.grad_fn); w.sum().backward(); print(x.grad)\nx.grad=None; torch.fft.fft(x, n=3, norm='forward').abs().sum().backward(); print(x.grad)\nx.grad=None; torch.fft.ifft(torch.fft.fft(x, n=7) * 2, norm='ortho').abs().sum().backward(); print(x.grad)\nx.grad=None; (torch.fft.irfft(torch.fft.rfft(x, norm='forward'), n=6, norm='forward') ** 2).sum().backward(); print(x.grad)\nc=torch.tensor([1+1j, 2-1j, 0.5j],dtype=torch.complex64, requires_grad=True); r=torch.fft.ifft(c); print(r, r.grad_fn); r.abs().sum().backward(); print(c.grad)\nc.grad=None; torch.fft.irfft(c, n=4).pow(2).sum().backward(); print(c.grad)\nm=torch.tensor([[1.,2.,3.,4.],[0.,1.,0.,2.],[3.,3.,1.,1.]], dtype=torch.float64, requires_grad=True)\ntorch.fft.rfft2(m).abs().sum().backward(); print(m.grad)\nm.grad=None; torch.fft.irfftn(torch.fft.rfftn(m), s=(3,4)).mul(torch.arange(12.).view(3,4)).sum().backward(); print(m.grad)\n"


def test_program_prints_what_torch_prints(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    t = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    e = subprocess.run([sys.executable, "-m", "ember", "run", str(path)], capture_output=True,
                       text=True)
    assert t.returncode == 0 and e.returncode == 0, (t.stderr, e.stderr)
    mask = lambda s: re.sub(r"0x[0-9a-f]+", "0x", s)  # noqa: E731
    assert mask(e.stdout) == mask(t.stdout)


X = np.random.default_rng(0).standard_normal((3, 8))


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_second_order_grads(norm):
    check(lambda T, x: T.fft.rfft(x, norm=norm).abs(), [X])
    check(lambda T, x: T.fft.rfft(x, norm=norm).real, [X], gradgrad=True)
    check(lambda T, x: T.fft.fft2(x, norm=norm).imag, [X], gradgrad=True)
    check(lambda T, x: T.fft.irfft(T.fft.rfft(x, norm=norm), n=8, norm=norm) ** 2, [X],
          gradgrad=True)
    check(lambda T, x: T.fft.ifft(T.fft.fft(x, dim=0, norm=norm), dim=0).abs(), [X],
          gradgrad=True)


def test_missing_names_say_so():
    with pytest.raises(AttributeError, match="ember does not implement torch.fft.nonexistent"):
        ember.fft.nonexistent
