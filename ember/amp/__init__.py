"""torch.amp: autocast regions and gradient scaling (see ember._autocast for the op lists)."""
from .autocast_mode import (_enter_autocast, _exit_autocast, autocast, custom_bwd, custom_fwd,
                            is_autocast_available)
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
