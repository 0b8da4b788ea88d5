"""torch.cuda.amp.common: whether AMP on CUDA is certainly unavailable."""


def amp_definitely_not_available():
    from ... import cuda
    return not cuda.is_available()
