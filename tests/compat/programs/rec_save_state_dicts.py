# pytorch.org recipes "What is a state_dict", "Saving and loading models for inference",
# "Saving and loading a general checkpoint", "Warmstarting model using parameters from a
# different model", "Saving and loading models across devices" (CPU map_location forms) and
# the tutorial "Saving and Loading Models" (weights_only). Emphasis on what gets printed: whole
# state_dicts, optimizer state_dicts after a few steps, and load_state_dict's error messages.
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class TheModelClass(nn.Module):
    def __init__(self):
        super(TheModelClass, self).__init__()
        self.conv1 = nn.Conv2d(3, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(2 * 3 * 3, 4)
        self.fc2 = nn.Linear(4, 3)
        self.register_buffer("scale", torch.tensor(2.0))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv1(x))))
        x = x.view(-1, 2 * 3 * 3)
        x = F.relu(self.fc1(x))
        x = self.fc2(x) * self.scale
        return x


# Initialize model
model = TheModelClass()

# Initialize optimizer
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

# Print model's state_dict
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())

# Print optimizer's state_dict
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])

print(model.state_dict())
print(type(model.state_dict()).__name__, model.state_dict()._metadata)
print(model.fc2.state_dict(prefix="head."))
print(model.state_dict(keep_vars=True)["fc2.bias"])

x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 2, 1, 0])
for opt_cls, kw in ((optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True)),
                    (optim.Adam, dict(lr=0.01)),
                    (optim.AdamW, dict(lr=0.01, amsgrad=True)),
                    (optim.RMSprop, dict(lr=0.01, centered=True)),
                    (optim.Adagrad, dict(lr=0.1))):
    net = TheModelClass()
    opt = opt_cls(net.fc2.parameters(), **kw)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    print(opt_cls.__name__, opt.state_dict())
    print(opt)

# --- Save/Load state_dict for inference ---
PATH = "tmc.pt"
torch.save(model.state_dict(), PATH)
model2 = TheModelClass()
print(model2.load_state_dict(torch.load(PATH, weights_only=True)))
model2.eval()
print(model2(x))

# --- Save/Load the entire model: weights_only=True refuses arbitrary classes ---
torch.save(model, "whole.pt")
try:
    torch.load("whole.pt")
except Exception as e:
    print(type(e).__name__)
    print(str(e).splitlines()[-1] if "GLOBAL" not in str(e) else "mentions GLOBAL")
print(sorted(torch.serialization.get_unsafe_globals_in_checkpoint("whole.pt")))
allowed = [TheModelClass, nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.Linear]
with torch.serialization.safe_globals(allowed):
    print(type(torch.load("whole.pt", weights_only=True)).__name__)
torch.serialization.add_safe_globals(allowed)
print(all(c in torch.serialization.get_safe_globals() for c in allowed))
print(type(torch.load("whole.pt")).__name__)
whole = torch.load("whole.pt", weights_only=False)
print(whole)
whole.eval()
print(torch.equal(whole(x), model2(x)))

# --- General checkpoint ---
opt = optim.Adam(model.parameters(), lr=0.01)
F.cross_entropy(model(x), y).backward()
opt.step()
torch.save({'epoch': 7, 'model_state_dict': model.state_dict(),
            'optimizer_state_dict': opt.state_dict(), 'loss': torch.tensor(0.25)}, "ckpt.tar")
checkpoint = torch.load("ckpt.tar", weights_only=True)
print(checkpoint['epoch'], checkpoint['loss'], list(checkpoint['optimizer_state_dict']['state']))
print(checkpoint['optimizer_state_dict']['state'][7])
model3 = TheModelClass()
opt3 = optim.Adam(model3.parameters(), lr=0.5)
model3.load_state_dict(checkpoint['model_state_dict'])
opt3.load_state_dict(checkpoint['optimizer_state_dict'])
print(opt3.param_groups[0]['lr'], opt3.state[model3.fc2.bias])

# optimizer.load_state_dict errors
try:
    optim.Adam([{'params': model3.fc1.parameters()}, {'params': model3.fc2.parameters()}]
               ).load_state_dict(checkpoint['optimizer_state_dict'])
except ValueError as e:
    print(e)
try:
    optim.Adam(model3.fc2.parameters()).load_state_dict(checkpoint['optimizer_state_dict'])
except ValueError as e:
    print(e)

# --- load_state_dict mismatches (strict=True by default) ---
sd = model.state_dict()
bad = OrderedDict(sd)
del bad['fc1.bias']
bad['fc3.weight'] = torch.zeros(1)
bad['fc2.weight'] = torch.zeros(3, 5)
try:
    model3.load_state_dict(bad)
except RuntimeError as e:
    print(e)
bad.pop('fc2.weight')
print(model3.load_state_dict(bad, strict=False))
r = model3.load_state_dict(bad, strict=False)
print(r.missing_keys, r.unexpected_keys, r == (['fc1.bias'], ['fc3.weight']))
del bad['fc3.weight']
try:
    model3.load_state_dict(bad)
except RuntimeError as e:
    print(e)
try:
    model3.load_state_dict({'fc2.bias': torch.zeros(3)})
except RuntimeError as e:
    print(e)
try:
    model3.load_state_dict([1, 2])
except TypeError as e:
    print(e)
try:
    model3.fc2.load_state_dict({'weight': torch.zeros(3, 4), 'bias': torch.zeros(3),
                                'extra': torch.ones(1)})
except RuntimeError as e:
    print(e)
# buffers count too; non-persistent ones are not expected
print(model3.load_state_dict({k: v for k, v in sd.items() if k != 'bn.running_var'},
                             strict=False))

# --- Warmstarting: a different head, strict=False ---
class Bigger(TheModelClass):
    def __init__(self):
        super().__init__()
        self.fc3 = nn.Linear(3, 2)


big = Bigger()
print(big.load_state_dict(torch.load(PATH, weights_only=True), strict=False))
print(torch.equal(big.fc1.weight, model.fc1.weight))

# --- Across devices (CPU forms of map_location) ---
device = torch.device('cpu')
for loc in ('cpu', device, lambda storage, loc: storage, {'cpu': 'cpu'}, None):
    sd2 = torch.load(PATH, map_location=loc, weights_only=True)
    print(sd2['fc2.bias'].device, torch.equal(sd2['fc2.bias'], model.fc2.bias))
model2.to(device)
print(next(model2.parameters()).device)

# data types survive a round trip
mixed = {'f16': torch.arange(3, dtype=torch.float16), 'i8': torch.tensor([-1, 2], dtype=torch.int8),
         'b': torch.tensor([True, False]), 'c': torch.tensor([1 + 2j]), 'bf': torch.ones(2, dtype=torch.bfloat16),
         't': torch.arange(6).view(2, 3).t(), 'e': torch.empty(0, 3), 's': torch.tensor(5)}
torch.save(mixed, "mixed.pt")
back = torch.load("mixed.pt")
for k, v in back.items():
    print(k, v, v.dtype, v.shape, v.stride(), v.is_contiguous())

for f in (PATH, "whole.pt", "ckpt.tar", "mixed.pt"):
    os.remove(f)
