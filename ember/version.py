"""torch.version: what this build is (ember: no CUDA/ROCm/XPU build, not a debug build)."""
__version__ = "2.13.0+ember"
git_version = "ember"
debug = False
cuda = None
hip = None
rocm = None
xpu = None
