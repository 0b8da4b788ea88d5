# "Model ensembling" (PyTorch tutorial, torch.func): stack the states of several models and run
# them all with vmap; smaller MLPs and batches than the tutorial (CPU), timers left out.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


# Here's a simple MLP
class SimpleMLP(nn.Module):
    def __init__(self):
        super(SimpleMLP, self).__init__()
        self.fc1 = nn.Linear(196, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.relu(x)
        x = self.fc3(x)
        return x


device = 'cpu'
num_models = 5

data = torch.randn(20, 16, 1, 14, 14, device=device)
targets = torch.randint(10, (320,), device=device)

models = [SimpleMLP().to(device) for _ in range(num_models)]

# Option 1: different minibatches for each model
minibatches = data[:num_models]
predictions_diff_minibatch_loop = [model(minibatch) for model, minibatch in zip(models,
                                                                                 minibatches)]

# Option 2: Same minibatch
minibatch = data[0]
predictions2 = [model(minibatch) for model in models]

# Using vmap to vectorize the ensemble
from torch.func import stack_module_state

params, buffers = stack_module_state(models)
print(list(params.keys()), list(buffers.keys()))
print(params['fc3.bias'].requires_grad, params['fc3.bias'].grad_fn, params['fc3.bias'].is_leaf)

from torch.func import functional_call
import copy

# Construct a "stateless" version of one of the models. It is "stateless" in
# the sense that the parameters are meta Tensors and do not have storage.
base_model = copy.deepcopy(models[0])
base_model = base_model.to('meta')
print(base_model.fc3.bias)
print(base_model)


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


print([p.size(0) for p in params.values()])  # show the leading 'num_models' dimension

# verify minibatch has leading dimension of size 'num_models'
assert minibatches.shape == (num_models, 16, 1, 14, 14)

from torch import vmap

predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)

# verify the ``vmap`` predictions match the
assert torch.allclose(predictions1_vmap, torch.stack(predictions_diff_minibatch_loop),
                      atol=1e-3, rtol=1e-5)
print(predictions1_vmap.shape, predictions1_vmap.requires_grad)
print(predictions1_vmap[2, :2].detach())

predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)

assert torch.allclose(predictions2_vmap, torch.stack(predictions2), atol=1e-3, rtol=1e-5)
print(predictions2_vmap.shape)
print(predictions2_vmap[4, -1].detach())

# the stacked parameters are ordinary leaves: train the whole ensemble in one step
loss = F.cross_entropy(predictions2_vmap.flatten(0, 1), targets[:num_models * 16])
loss.backward()
print(loss.item() > 0, params['fc1.weight'].grad.shape)
print(params['fc3.bias'].grad)
print(base_model.fc3.bias.is_meta, models[0].fc3.bias.grad)
