"""FeatureAblation: replace one feature (group) at a time by its baseline and attribute the
drop of the target output to it; Occlusion (occlusion.py) is the same engine with sliding
windows as the features. Captum's semantics: features are ordered by tensor, then by id;
`perturbations_per_eval` ablations share one forward pass; attributions have one row per
output element.

The ablated batch of a chunk of k features is built with one broadcast over a (k, ...) mask
instead of one copy per feature.
"""
from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable

from .. import _creation as C
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops import shape as _shape
from ._utils.attribution import PerturbationAttribution
from ._utils.common import (
    _expand_additional_forward_args,
    _expand_target,
    _format_additional_forward_args,
    _format_input_baseline,
    _format_output,
    _format_tensor_into_tuples,
    _is_tuple,
    _run_forward,
)

logger = logging.getLogger(__name__)


# ---- progress (tqdm when installed, as Captum; a plain stderr counter otherwise) ----

class NullProgress:
    def update(self, n=1):
        return None

    def close(self):
        pass


class SimpleProgress:
    """`desc: 40% 2/5` on stderr, rewritten in place."""

    def __init__(self, desc: str, total: int, file=None):
        self.desc, self.total, self.n = desc, total, 0
        self.file = file if file is not None else sys.stderr
        self._show()

    def _show(self):
        pct = int(100 * self.n / self.total) if self.total else 100
        self.file.write(f"\r{self.desc}: {pct}% {self.n}/{self.total}")
        self.file.flush()

    def update(self, n=1):
        self.n += n
        self._show()

    def close(self):
        self.file.write("\n")
        self.file.flush()


def progress(desc: str, total: int):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return SimpleProgress(desc, total)
    return tqdm(desc=desc, total=total, mininterval=0.5)


# ---- helpers with Captum's messages ----

def _parse_forward_out(forward_output) -> Tensor:
    """The forward output as a tensor (a Python int/float becomes an int64/float64 tensor)."""
    if isinstance(forward_output, Tensor):
        return forward_output
    assert isinstance(forward_output, (int, float)), (
        "the return of forward_func must be a tensor, int, or float,"
        f" received: {forward_output}")
    from .. import _dtype as D
    dt = D.int64 if isinstance(forward_output, int) else D.float64
    return C.tensor(forward_output, dtype=dt)


def _format_feature_mask(feature_mask, inputs: tuple[Tensor, ...], start_idx: int = 0):
    """None -> every scalar of an example its own feature, numbered across the tensors."""
    if feature_mask is not None:
        return _format_tensor_into_tuples(feature_mask)
    masks = []
    current = start_idx
    for inp in inputs:
        num = inp[0:1].numel()
        masks.append(current + C.arange(num, device=inp.device).reshape(inp[0:1].shape))
        current += num
    return tuple(masks)


def check_output_shape_valid(inputs, num_examples: int, initial_eval: Tensor,
                             modified_eval: Tensor, perturbations_per_eval: int) -> None:
    """With several perturbations per forward, the output must grow with the batch."""
    if perturbations_per_eval > 1:
        current_batch_size = inputs[0].shape[0]
        n_perturb = current_batch_size // num_examples
        mod_perturb = current_batch_size % num_examples
        current_output_shape = modified_eval.shape
        initial_output_shape = initial_eval.shape
        assert (current_output_shape and initial_output_shape and mod_perturb == 0
                and current_output_shape[0] == n_perturb * initial_output_shape[0]), (
            "When perturbations_per_eval > 1, forward_func's output "
            "should be a tensor whose 1st dim grow with the input "
            f"batch size: when input batch size is {num_examples}, "
            f"the output shape is {initial_output_shape}; "
            f"when input batch size is {current_batch_size}, "
            f"the output shape is {current_output_shape}")


def _to_rank(mask: Tensor, ndim: int) -> Tensor:
    # a mask with fewer dims than its input broadcasts from the right, as in the ablation
    if mask.dim() < ndim:
        mask = mask.reshape((1,) * (ndim - mask.dim()) + tuple(mask.shape))
    return mask


class FeatureAblation(PerturbationAttribution):
    """Ablate each feature (or feature group of `feature_mask`) to its baseline; the
    attribution is initial output - ablated output. See captum.attr.FeatureAblation."""

    def __init__(self, forward_func: Callable) -> None:
        PerturbationAttribution.__init__(self, forward_func)
        self.use_weights = False
        self._is_output_shape_valid = False
        self._min_examples_per_batch_grouped: int | None = None

    def attribute(self, inputs, baselines=None, target=None,
                  additional_forward_args: object | None = None, feature_mask=None,
                  perturbations_per_eval: int = 1, show_progress: bool = False, **kwargs):
        """Attributions shaped (number of output elements, *input.shape[1:]) per input —
        i.e. like the inputs when the target selects one output per example."""
        is_inputs_tuple = _is_tuple(inputs)
        formatted_inputs, baselines = _format_input_baseline(inputs, baselines)
        add_args = _format_additional_forward_args(additional_forward_args)
        formatted_mask = _format_feature_mask(feature_mask, formatted_inputs)
        assert isinstance(perturbations_per_eval, int) and perturbations_per_eval >= 1, \
            "Perturbations per evaluation must be an integer and at least 1."
        with no_grad():
            feature_to_tensors = self._get_feature_idx_to_tensor_idx(formatted_mask, **kwargs)
            features = list(feature_to_tensors)
            if show_progress:
                bar = progress(f"{self.get_name()} attribution",
                               math.ceil(len(features) / perturbations_per_eval) + 1)
            else:
                bar = NullProgress()
            bar.update(0)
            initial_eval = _parse_forward_out(_run_forward(
                self.forward_func, formatted_inputs, target, add_args))
            bar.update()
            n_outputs = initial_eval.numel()
            flat_initial = initial_eval.reshape(1, -1)
            attrib_type = flat_initial.dtype
            total_attrib = [C.zeros((n_outputs,) + tuple(inp.shape[1:]), dtype=attrib_type,
                                    device=inp.device) for inp in formatted_inputs]
            weights = [C.zeros((n_outputs,) + tuple(inp.shape[1:]), device=inp.device)
                       for inp in formatted_inputs] if self.use_weights else []
            # a tensor baseline gets a leading perturbation dim
            baselines = tuple(b.reshape((1,) + tuple(b.shape)) if isinstance(b, Tensor) else b
                              for b in baselines)
            num_examples = formatted_inputs[0].shape[0]
            for start in range(0, len(features), perturbations_per_eval):
                chunk = features[start:start + perturbations_per_eval]
                if self._should_skip(chunk, feature_to_tensors, formatted_inputs):
                    continue
                k = len(chunk)
                masks = self._chunk_masks(formatted_inputs, formatted_mask, chunk,
                                          feature_to_tensors, **kwargs)
                current_inputs = tuple(self._ablate(inp, b, m, k) for inp, b, m in
                                       zip(formatted_inputs, baselines, masks))
                cur_args = (_expand_additional_forward_args(add_args, k)
                            if add_args is not None else None)
                modified_eval = _parse_forward_out(_run_forward(
                    self.forward_func, current_inputs, _expand_target(target, k), cur_args))
                bar.update()
                if not self._is_output_shape_valid:
                    check_output_shape_valid(current_inputs, num_examples, initial_eval,
                                             modified_eval, perturbations_per_eval)
                    self._is_output_shape_valid = True
                eval_diff = flat_initial - modified_eval.reshape(-1, n_outputs)
                for i, mask in enumerate(masks):
                    if mask is None or current_inputs[i].numel() == 0:
                        continue
                    if self.use_weights:
                        weights[i] += mask.float().sum(dim=0)
                    d = eval_diff.reshape(tuple(eval_diff.shape)
                                          + (current_inputs[i].dim() - 1) * (1,))
                    total_attrib[i] += (d * mask.to(attrib_type)).sum(dim=0)
        bar.close()
        if self.use_weights:
            attrib = tuple(a.float() / w for a, w in zip(total_attrib, weights))
        else:
            attrib = tuple(total_attrib)
        return _format_output(is_inputs_tuple, attrib)

    # ---- what Occlusion overrides ----
    def _get_feature_idx_to_tensor_idx(self, formatted_mask, **kwargs) -> dict[int, list[int]]:
        """{feature id: tensors it appears in}, ordered by first tensor, then ascending id."""
        table: dict[int, list[int]] = {}
        for i, mask in enumerate(formatted_mask):
            for f in mask.unique().tolist():
                table.setdefault(f, []).append(i)
        return table

    def _chunk_masks(self, inputs, formatted_mask, chunk, feature_to_tensors, **kwargs):
        """Per input: a (k, *mask.shape) 0/1 mask of the chunk's k features, or None."""
        in_chunk = {i for f in chunk for i in feature_to_tensors[f]}
        out = []
        for i, inp in enumerate(inputs):
            if i not in in_chunk:
                out.append(None)
                continue
            mask = _to_rank(formatted_mask[i].to(inp.device), inp.dim())
            ids = C.tensor(chunk, dtype=mask.dtype, device=inp.device)
            ids = ids.reshape((len(chunk),) + (1,) * mask.dim())
            out.append((mask.unsqueeze(0) == ids).long())
        return out

    # ---- shared ----
    @staticmethod
    def _ablate(inp: Tensor, baseline, mask: Tensor | None, k: int) -> Tensor:
        """k copies of inp stacked along dim 0, copy j with feature j at its baseline."""
        rest = tuple(inp.shape[1:])
        if mask is None:
            return _shape.cat([inp] * k, dim=0) if k > 1 else inp
        m = mask.to(inp.dtype)
        ablated = inp.unsqueeze(0) * (1 - m) + baseline * m
        if ablated.shape[0] != k or tuple(ablated.shape[2:]) != rest:
            ablated = ablated.expand((k,) + tuple(inp.shape))
        return ablated.reshape((k * inp.shape[0],) + rest)

    def _should_skip(self, chunk, feature_to_tensors, inputs) -> bool:
        tensor_ids = {i for f in chunk for i in feature_to_tensors[f]}
        limit = self._min_examples_per_batch_grouped
        if limit is not None and any(inputs[i].shape[0] < limit for i in tensor_ids):
            logger.warning(f"Skipping feature group {chunk} since it contains "
                           f"at least one input tensor with 0th dim less than {limit}")
            return True
        if all(inputs[i].numel() == 0 for i in tensor_ids):
            logger.info(f"Skipping feature group {chunk} since all input tensors are empty")
            return True
        return False
