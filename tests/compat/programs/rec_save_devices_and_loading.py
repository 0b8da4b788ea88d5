# pytorch.org recipes "Changing default device" (torch.set_default_device, torch.device as a
# context manager, torch.get_default_device) and "Tips for Loading an nn.Module from a
# Checkpoint" (torch.load(mmap=True), the torch.device('meta') context, load_state_dict(
# assign=True), torch.serialization's mmap options). CUDA is stood in by 'cpu' for computation
# and by 'meta' (shapes only, no data) for placement; the recipe's timing prints are replaced
# by value checks (times differ run to run) and its size 1000 is shrunk to 64.
import mmap
import os

import torch
from torch import nn

torch.manual_seed(0)

print(torch.get_default_device())
print(torch.tensor([1.2, 3]).device)

# "It is common practice to write PyTorch code in a device-agnostic way"
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
print(device, repr(device))

with torch.device(device):
    mod = torch.nn.Linear(20, 30)
    print(mod.weight.device)
    print(mod(torch.randn(128, 20)).device)
    print(torch.get_default_device())

# the context manager sets the default only inside the block
with torch.device('meta'):
    print(torch.get_default_device())
    mod = torch.nn.Linear(20, 30)
    print(mod.weight.device, mod.bias.device)
    print(torch.tensor([1.2, 3]).device, torch.zeros(2, 2).device, torch.arange(4).device)
    print(torch.randn(2, 3).device, torch.ones(3, device='cpu').device)
    print(torch.empty(3, dtype=torch.int64))
    with torch.device('cpu'):
        print(torch.get_default_device(), torch.ones(1).device)
    print(torch.get_default_device())
print(torch.get_default_device())
print(mod)
print(mod.weight)
print(mod.bias.shape, mod.bias.dtype, mod.bias.requires_grad, mod.bias.is_meta)

# no numbers were drawn on 'meta': the CPU generator continues as if mod never existed
print(torch.randn(3))

# set_default_device changes it globally until changed back
torch.set_default_device('meta')
print(torch.get_default_device())
a = torch.tensor([1.2, 3])
print(a.device, a)
lin = torch.nn.Linear(4, 2)
print(lin.weight)
torch.set_default_device('cpu')
print(torch.get_default_device(), torch.tensor([1.2, 3]).device)
torch.set_default_device(None)
print(torch.get_default_device())

# a meta module gets real storage with to_empty, then is initialised in place
meta_lin = torch.nn.Linear(4, 2, device='meta')
print(meta_lin.weight.device)
cpu_lin = meta_lin.to_empty(device='cpu')
print(cpu_lin is meta_lin, cpu_lin.weight.device, cpu_lin.weight.shape)
cpu_lin.reset_parameters()
print(cpu_lin.weight)
print(cpu_lin(torch.ones(1, 4)))

# factory functions take an explicit device over the default
torch.set_default_device('cpu')
print(torch.zeros(2, device='meta').device, torch.full((2,), 1.5).device)
torch.set_default_device(None)
x = torch.randn(2, 2)
print(x.to('meta'), x.to('meta').dtype)


# ---- Tips for loading an nn.Module from a checkpoint ----


class SomeModule(torch.nn.Module):
    def __init__(self, size):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(size, size) for i in range(10)])

    def forward(self, x):
        return self.linears(x)


m = SomeModule(64)
torch.save(m.state_dict(), 'checkpoint.pth')

state_dict = torch.load('checkpoint.pth', mmap=True)
with torch.device('meta'):
    meta_m = SomeModule(64)
print(meta_m.load_state_dict(state_dict, assign=True))

state_dict = torch.load('checkpoint.pth')
m2 = SomeModule(64)
print(m2.load_state_dict(state_dict))

# --- Using torch.load(mmap=True) ---
state_dict = torch.load('checkpoint.pth', mmap=True, weights_only=True)
print(type(state_dict).__name__, len(state_dict), list(state_dict)[:4])
print(state_dict['linears.0.bias'][:4], state_dict['linears.9.weight'].shape)
print(torch.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE)
with torch.serialization.set_default_mmap_options(mmap.MAP_SHARED):
    print(torch.serialization.get_default_mmap_options() == mmap.MAP_SHARED)
print(torch.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE)
# a MAP_PRIVATE mapping is copy-on-write: changing the loaded tensor leaves the file alone
sd = torch.load('checkpoint.pth', mmap=True)
sd['linears.0.bias'].zero_()
print(torch.load('checkpoint.pth')['linears.0.bias'][:3])
try:
    torch.load(open('checkpoint.pth', 'rb'), mmap=True)
    print("loaded from a file object")
except Exception as e:
    print(type(e).__name__, e)

# --- Using torch.device('meta') ---
with torch.device('meta'):
    new_m = SomeModule(64)
print(new_m.linears[0].weight)
print(new_m.linears[0].weight.device, new_m.linears[0].weight.is_meta)
print(new_m.linears[3])
with torch.device('meta'):
    t = torch.randn(2, 3)
print(t.device, t.shape, t.dtype)
print(torch.empty(2).device)

# load_state_dict without assign copies into meta params, which stay on meta
new_m.load_state_dict(state_dict)
print(new_m.linears[0].weight.device)

# --- Using load_state_dict(assign=True) ---
with torch.device('meta'):
    new_m = SomeModule(64)
new_m.load_state_dict(state_dict, assign=True)
# Before 2.3.0, this MUST be done AFTER the load_state_dict with assign.
# In versions >= 2.3.0, one can consider setting
# ``torch.__future__.set_swap_module_params_on_conversion``
opt = torch.optim.SGD(new_m.parameters(), lr=1e-3)
p = new_m.linears[0].weight
print(type(p).__name__, p.device, p.requires_grad, p.is_leaf)
print(torch.equal(new_m.linears[5].bias, m.linears[5].bias))
print(new_m.linears[0].bias[:4])
x = torch.randn(2, 64)
loss = new_m.linears[1](new_m.linears[0](x)).sum()
loss.backward()
opt.step()
print(new_m.linears[0].bias[:4])
print(new_m.linears[0].weight.grad.shape)

# assign=False keeps the module's own parameter objects; assign=True replaces them
m3 = SomeModule(64)
before = m3.linears[0].weight
m3.load_state_dict(m.state_dict())
print(m3.linears[0].weight is before)
m3.load_state_dict(m.state_dict(), assign=True)
print(m3.linears[0].weight is before, type(m3.linears[0].weight).__name__)

# assigning a plain tensor from a state_dict keeps requires_grad from the module's parameter
sd = {k: v.detach().clone() for k, v in m.state_dict().items()}
m3.load_state_dict(sd, assign=True)
print(m3.linears[2].weight.requires_grad, isinstance(m3.linears[2].weight, nn.Parameter))

# assign=True with a wrong shape is still a size-mismatch error
sd['linears.0.weight'] = torch.zeros(3, 3)
try:
    m3.load_state_dict(sd, assign=True)
except RuntimeError as e:
    print(e)

# dtype conversion: copying keeps the module's dtype, assigning takes the state_dict's
sd = {k: v.double() for k, v in m.state_dict().items()}
m4 = SomeModule(64)
m4.load_state_dict(sd)
print(m4.linears[0].weight.dtype)
m4.load_state_dict(sd, assign=True)
print(m4.linears[0].weight.dtype)

# a checkpoint mapped onto 'meta' keeps only shapes and dtypes; meta tensors save no bytes
meta_sd = torch.load('checkpoint.pth', map_location='meta', weights_only=True)
print(meta_sd['linears.3.weight'], meta_sd['linears.3.bias'].dtype)
with torch.device('meta'):
    skeleton = SomeModule(8)
torch.save(skeleton.state_dict(), 'skeleton.pth')
print(os.path.getsize('skeleton.pth') < 4096)
print(torch.load('skeleton.pth')['linears.9.weight'])

os.remove('checkpoint.pth')
os.remove('skeleton.pth')
