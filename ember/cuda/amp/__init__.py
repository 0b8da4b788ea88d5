"""torch.cuda.amp: deprecated spellings of torch.amp.autocast('cuda') and GradScaler('cuda').
Without a GPU both disable themselves with torch's warnings, so the program runs in float32."""
from __future__ import annotations

import warnings

from ... import _dtype as D
from ...amp import autocast_mode as _am
from ...amp import grad_scaler as _gs
from . import common  # noqa: F401


class autocast(_am.autocast):
    """Deprecated: torch.amp.autocast('cuda', ...)."""

    def __init__(self, enabled=True, dtype=D.float16, cache_enabled=True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(_gs.GradScaler):
    """Deprecated: torch.amp.GradScaler('cuda', ...)."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


custom_fwd = _am.custom_fwd
custom_bwd = _am.custom_bwd
