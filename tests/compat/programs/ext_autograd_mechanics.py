# The "Autograd mechanics" note (notes/autograd.html): requires_grad and freezing part of a
# model, grad/no-grad/inference modes, gradients at non-differentiable points, in-place
# correctness checks, multithreaded backward, complex gradients, saved tensors
# (_saved_self/_saved_result, register_hooks on _raw_saved_self, default hooks) and the
# execution of backward hooks. resnet18 is replaced by a small Sequential; errors print as
# type and message; threads' results are printed in a fixed order. Seeded.
import threading

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

# ---- Excluding subgraphs from backward
x = torch.randn(5, 5)  # requires_grad=False by default
y = torch.randn(5, 5)  # requires_grad=False by default
z = torch.randn((5, 5), requires_grad=True)
a = x + y
print(a.requires_grad)
b = a + z
print(b.requires_grad)

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16))
for param in model.parameters():
    param.requires_grad = False
# Replace the last fully-connected layer
# Parameters of newly constructed modules have requires_grad=True by default
model[2] = nn.Linear(16, 4)
# Optimize only the classifier
optimizer = optim.SGD(model[2].parameters(), lr=1e-2, momentum=0.9)
out = model(torch.randn(3, 8))
print(out.grad_fn, out.grad_fn.next_functions)
out.sum().backward()
print([(n, p.grad is None) for n, p in model.named_parameters()])
optimizer.step()
model.requires_grad_(True)
print([p.requires_grad for p in model.parameters()])

# ---- Locally disabling gradient computation
x = torch.ones(2, requires_grad=True)
with torch.no_grad():
    y = x * 2
print(y.requires_grad, y.grad_fn)
with torch.inference_mode():
    w = x * 2
# (ember has no inference tensors yet: is_inference() and their misuse errors are not shown)
print(w.requires_grad, torch.is_inference_mode_enabled())
print((w.clone() * x).sum())

m = nn.Dropout(0.5)
m.eval()
print(m.training, m(torch.ones(4)))

# ---- Gradients for non-differentiable functions
x = torch.tensor([0., 1., -1.], requires_grad=True)
for name, fn in [("relu", torch.relu), ("abs", torch.abs), ("sqrt", torch.sqrt),
                 ("norm", torch.linalg.vector_norm), ("max", torch.max),
                 ("amax", lambda t: torch.amax(torch.tensor([1., 1., 0.]) * t.abs() + 1)),
                 ("clamp", lambda t: t.clamp(min=0.)), ("sign", torch.sign)]:
    g, = torch.autograd.grad(fn(x).sum(), x)
    print(name, g)
x = torch.zeros(3, requires_grad=True)
g, = torch.autograd.grad(torch.linalg.vector_norm(x), x)
print("norm at 0", g)
x = torch.tensor([2., 2., 1.], requires_grad=True)
g, = torch.autograd.grad(x.max(), x)
print("max with ties", g)
g, = torch.autograd.grad(x.max(dim=0).values, x)
print("max(dim) with ties", g)

# ---- In-place operations with autograd: correctness checks
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
c = b * 2
b.mul_(2)  # sigmoid's backward needs its (now modified) output
print(b._version)
try:
    c.sum().backward()
    b.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)
x = torch.ones(3, requires_grad=True)
try:
    x.add_(1)
except RuntimeError as e:
    print("RuntimeError:", e)
y = x.exp()
with torch.no_grad():
    x.mul_(2)
try:
    x.sin().sum().backward()
    y.sum().backward()
    print(x.grad)
except RuntimeError as e:
    print("RuntimeError:", e)
x2 = x.detach().clone().requires_grad_()
v = x2 * 1
u = v.pow(2)
v.add_(1)
try:
    u.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)


# ---- Multithreaded Autograd
# Define a train function to be used in different threads
results = {}


def train_fn(i):
    x = torch.ones(5, 5, requires_grad=True)
    # forward
    y = (x + 3) * (x + 4) * 0.5 * i
    # backward
    y.sum().backward()
    # potential optimizer update
    results[i] = x.grad.sum().item()


# User write their own threading code to drive the train_fn
threads = []
for i in range(10):
    p = threading.Thread(target=train_fn, args=(i,))
    p.start()
    threads.append(p)

for p in threads:
    p.join()
print([results[i] for i in range(10)])

# ---- Autograd for complex numbers
c = 3.0
z = torch.tensor([1 + 2j, -0.5 + 1j], requires_grad=True)
s = c * z
s.backward(torch.ones_like(s))
print(z.grad)
z = torch.tensor([3 + 4j, 1 - 1j], requires_grad=True)
z.abs().sum().backward()
print(z.grad)
z = torch.tensor([1 + 1j], requires_grad=True)
(z * z.conj()).real.sum().backward()
print(z.grad)

# ---- Saved tensors
x = torch.randn(5, requires_grad=True)
y = x.pow(2)
print(x.equal(y.grad_fn._saved_self))  # True
print(x is y.grad_fn._saved_self)  # True
print(y.grad_fn._saved_exponent)

x = torch.randn(5, requires_grad=True)
y = x.exp()
print(y.equal(y.grad_fn._saved_result))  # True
print(y is y.grad_fn._saved_result)  # False
y.sum().backward()
try:
    y.grad_fn._saved_result
except RuntimeError as e:
    print("RuntimeError:", e)


def pack_hook(x):
    print("Packing", x)
    return x


def unpack_hook(x):
    print("Unpacking", x)
    return x


x = torch.randn(5, requires_grad=True)
y = x.pow(2)
y.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)
print(y.grad_fn._saved_self)
y.sum().backward()
print(x.grad.equal(2 * x))
try:
    y.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)
except RuntimeError as e:
    print("RuntimeError:", e)

x = torch.randn(3, requires_grad=True)
y = x.exp()
y.grad_fn._raw_saved_result.register_hooks(lambda t: t * 10, lambda t: t / 10)
try:
    y.grad_fn._raw_saved_result.register_hooks(pack_hook, unpack_hook)
except RuntimeError as e:
    print("RuntimeError:", e)
print(y.grad_fn._saved_result.equal(y))
y.sum().backward()
print(x.grad.equal(y.detach()))

x = torch.randn(4, requires_grad=True)
w = torch.randn(4)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = x * w          # only w is needed for x's gradient
    z = (x * x).sum()
print(y.grad_fn._saved_self, y.grad_fn._saved_other.equal(w))
(y.sum() + z).backward()
print(x.grad)

with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
    y = x.pow(3)
try:
    y.grad_fn._saved_self
except TypeError as e:
    print("TypeError:", e)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
    try:
        x.detach().requires_grad_().sin()
    except RuntimeError as e:
        print("RuntimeError:", e)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
    y = x.pow(2)
    try:
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    except RuntimeError as e:
        print("RuntimeError:", e)
with torch.autograd.graph.disable_saved_tensors_hooks("saved tensors hooks are off here"):
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            pass
    except RuntimeError as e:
        print("RuntimeError:", e)

# ---- Backward hooks execution
a = torch.tensor([1., 2.], requires_grad=True)
b = a * 3
c = b.sin()
b.register_hook(lambda g: print("tensor hook on b", g))
c.grad_fn.register_prehook(lambda gout: print("prehook on", c.grad_fn.name(), gout))
c.grad_fn.register_hook(lambda gin, gout: print("hook on", c.grad_fn.name(), gin, gout))
a.register_post_accumulate_grad_hook(lambda p: print("post accumulate", p.grad))
a.register_hook(lambda g: g * 10)
c.sum().backward()
print(a.grad)

# a hook registered before an in-place modification sees the gradient w.r.t. the old value
t = torch.tensor(1., requires_grad=True).sin()
t.register_hook(lambda g: print("before cos_:", g))
t.cos_()
t.register_hook(lambda g: print("after cos_:", g))
t.backward()
