"""nn.utils.prune (the Pruning Tutorial) vs torch: masks, parameters/buffers, hooks, history."""
import numpy as np
import pytest
import torch

from tests.nn.utils._both import both
from tests.oracle import check_raises


def _lenet(T):
    F = T.nn.functional

    class LeNet(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = T.nn.Conv2d(1, 6, 3)
            self.conv2 = T.nn.Conv2d(6, 16, 3)
            self.fc1 = T.nn.Linear(16 * 5 * 5, 120)
            self.fc2 = T.nn.Linear(120, 84)
            self.fc3 = T.nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, int(x.nelement() / x.shape[0]))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return LeNet()


def test_pruning_tutorial():
    def prog(T, sub):
        prune = sub("nn.utils.prune")
        T.manual_seed(42)
        model = _lenet(T)
        module = model.conv1
        out = []
        prune.random_unstructured(module, name="weight", amount=0.3)
        out += [[n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()],
                module.weight_mask, module.weight, module.weight.grad_fn.name(),
                repr(list(module._forward_pre_hooks.values()))]
        prune.l1_unstructured(module, name="bias", amount=3)
        out += [module.bias_mask, module.bias]
        prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
        out.append(module.weight_mask)
        hook = next(h for h in module._forward_pre_hooks.values() if h._tensor_name == "weight")
        out += [[type(h).__name__ for h in hook], type(hook).__name__, len(hook),
                list(model.state_dict())]
        prune.remove(module, "weight")
        out += [[n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()],
                module.weight, type(module.weight).__name__]
        new_model = _lenet(T)
        for _, m in new_model.named_modules():
            if isinstance(m, T.nn.Conv2d):
                prune.l1_unstructured(m, name="weight", amount=0.2)
            elif isinstance(m, T.nn.Linear):
                prune.l1_unstructured(m, name="weight", amount=0.4)
        out.append(list(dict(new_model.named_buffers()).keys()))
        model = _lenet(T)
        params = ((model.conv1, "weight"), (model.conv2, "weight"), (model.fc1, "weight"),
                  (model.fc2, "weight"), (model.fc3, "weight"))
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.2)
        out += [float(T.sum(m.weight == 0)) for m, _ in params]
        y = model(T.ones(1, 1, 28, 28))
        y.sum().backward()
        out += [y, model.conv1.weight_orig.grad, prune.is_pruned(model),
                prune.is_pruned(_lenet(T))]
        return out
    both(prog)


def test_ties_and_stacking():
    # integer-valued weights: many ties at the top-k boundary, broken as torch breaks them
    def prog(T, sub):
        prune = sub("nn.utils.prune")
        T.manual_seed(3)
        lin = T.nn.Linear(8, 6)
        with T.no_grad():
            lin.weight.copy_(T.arange(48.).view(6, 8).remainder(3) - 1)
        out = []
        prune.l1_unstructured(lin, "weight", 0.3)
        out.append(lin.weight_mask)
        prune.ln_structured(lin, "weight", 2, n=1, dim=1)
        out.append(lin.weight_mask)
        prune.random_structured(lin, "weight", 0.34, dim=0)
        out.append(lin.weight_mask)
        prune.random_unstructured(lin, "weight", 5)
        out.append(lin.weight_mask)
        prune.l1_unstructured(lin, "weight", 0, importance_scores=T.ones(6, 8))
        out.append(lin.weight_mask)
        prune.identity(lin, "bias")
        out.append(lin.bias_mask)
        prune.custom_from_mask(lin, "bias", mask=T.tensor([0, 1, 0, 1, 1, 1]))
        out += [lin.bias, lin.bias_mask]
        m = prune.L1Unstructured(amount=0.5)
        out.append(m.prune(T.tensor([3., -1., 2., -4.])))
        lin2 = T.nn.Linear(4, 4)
        prune.l1_unstructured(lin2, "weight", 5, importance_scores=T.arange(16.).view(4, 4) % 2)
        out.append(lin2.weight_mask)
        return out
    both(prog)


@pytest.mark.parametrize("n", [8, 63, 64, 130, 400])
def test_topk_selection_matches_torch(n):
    from ember.nn.utils.prune import _topk_indices
    rng = np.random.default_rng(n)
    for trial in range(40):
        a = rng.integers(0, int(rng.integers(2, 6)), n).astype(np.float32)
        if trial % 5 == 0:
            a[rng.integers(0, n, 2)] = np.nan
        k = int(rng.integers(1, n + 1)) if trial % 2 else int(rng.integers(1, n // 64 + 2))
        largest = bool(trial % 3)
        want = np.sort(torch.topk(torch.tensor(a), k, largest=largest).indices.numpy())
        assert (np.sort(_topk_indices(a, k, largest)) == want).all()


def test_prune_errors():
    def P(T):
        import importlib
        return importlib.import_module(f"{T.__name__}.nn.utils.prune")
    check_raises(lambda T: P(T).l1_unstructured(T.nn.Linear(2, 2), "weight", 1.5))
    check_raises(lambda T: P(T).l1_unstructured(T.nn.Linear(2, 2), "weight", 7))
    check_raises(lambda T: P(T).l1_unstructured(T.nn.Linear(2, 2), "weight", "a"))
    check_raises(lambda T: P(T).ln_structured(T.nn.Linear(2, 2), "bias", 1, 2, 0))
    check_raises(lambda T: P(T).ln_structured(T.nn.Linear(2, 2), "weight", 1, 2, 3))
    check_raises(lambda T: P(T).remove(T.nn.Linear(2, 2), "weight"))
    check_raises(lambda T: P(T).global_unstructured(
        [(T.nn.Linear(2, 2), "weight")], P(T).RandomStructured, amount=1),
        match_message=False)   # the message names the class with its (ember.) module
    check_raises(lambda T: P(T).l1_unstructured(T.nn.Linear(2, 2), "weight", 1,
                                                importance_scores=T.ones(3)))
