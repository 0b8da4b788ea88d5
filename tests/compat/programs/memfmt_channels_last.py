"""PyTorch's "(beta) Channels Last Memory Format in PyTorch" tutorial as a program (CPU parts).

Prints strides, contiguity checks and the layout of conv outputs; the CUDA/apex performance
sections are skipped, the operator-checking wrapper section runs on a small model."""
import torch

# Memory format API
N, C, H, W = 10, 3, 32, 32
x = torch.empty(N, C, H, W)
print(x.stride())  # (3072, 1024, 32, 1)

x = x.to(memory_format=torch.channels_last)
print(x.shape)  # (10, 3, 32, 32) as dimensions order preserved
print(x.stride())  # (3072, 1, 96, 3)

x = x.to(memory_format=torch.contiguous_format)
print(x.stride())  # (3072, 1024, 32, 1)

x = x.contiguous(memory_format=torch.channels_last)
print(x.stride())  # (3072, 1, 96, 3)

print(x.is_contiguous(memory_format=torch.channels_last))  # True

special_x = torch.empty(4, 1, 4, 4)
print(special_x.is_contiguous(memory_format=torch.channels_last))  # True
print(special_x.is_contiguous(memory_format=torch.contiguous_format))  # True

x = torch.empty(N, C, H, W, memory_format=torch.channels_last)
print(x.stride())  # (3072, 1, 96, 3)

y = x.clone()
print(y.stride())  # clone preserves the format

print(torch.channels_last, torch.contiguous_format, torch.preserve_format,
      torch.channels_last_3d)
print(type(torch.channels_last))

# The mkldnn section of the tutorial: a channels_last conv keeps the format
torch.manual_seed(0)
model = torch.nn.Conv2d(8, 4, 3)
model = model.to(memory_format=torch.channels_last)
print(model.weight.stride(), model.bias.stride())
input = torch.randint(1, 10, (2, 8, 4, 4), dtype=torch.float32, requires_grad=True)
input = input.to(memory_format=torch.channels_last)
print(input.stride(), input.requires_grad, input.grad_fn is not None)
out = model(input)
print(out.is_contiguous(memory_format=torch.channels_last))  # True
print(out.shape, out.stride())
print(out.sum())
out.sum().backward()
print(model.weight.grad.shape, model.weight.grad.is_contiguous())

# Elementwise ops keep the layout of their channels_last operand
a = torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last)
b = torch.randn(2, 3, 4, 5)
print((a + b).stride(), (b + a).stride(), (a * 2).stride(), torch.relu(a).stride())
print((a + 1).is_contiguous(), (a + 1).is_contiguous(memory_format=torch.channels_last))

# Converting existing models
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
    torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
    torch.nn.Flatten(), torch.nn.Linear(4, 2))
model = model.to(memory_format=torch.channels_last)  # Replace with your model
input = torch.randn(2, 3, 8, 8)
input = input.to(memory_format=torch.channels_last)  # Replace with your input
output = model(input)
print(output)
h = input
for layer in model:
    h = layer(h)
    print(type(layer).__name__, tuple(h.shape), h.stride(),
          h.is_contiguous(memory_format=torch.channels_last))


# Checking operators: wrap Tensor/functional/torch callables to report lost channels_last
def contains_cl(args):
    for t in args:
        if isinstance(t, torch.Tensor):
            if t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous():
                return True
        elif isinstance(t, list) or isinstance(t, tuple):
            if contains_cl(list(t)):
                return True
    return False


def print_inputs(args, indent=""):
    for t in args:
        if isinstance(t, torch.Tensor):
            print(indent, t.stride(), t.shape, t.device, t.dtype)
        elif isinstance(t, list) or isinstance(t, tuple):
            print(indent, type(t))
            print_inputs(list(t), indent=indent + "    ")
        else:
            print(indent, t)


def check_wrapper(fn):
    name = fn.__name__

    def check_cl(*args, **kwargs):
        was_cl = contains_cl(args)
        try:
            result = fn(*args, **kwargs)
        except Exception as e:
            print("`{}` inputs are:".format(name))
            print_inputs(args)
            print("-------------------")
            raise e
        failed = False
        if was_cl:
            if isinstance(result, torch.Tensor):
                if result.dim() == 4 and not result.is_contiguous(
                        memory_format=torch.channels_last):
                    print("`{}` got channels_last input, but output is not channels_last:"
                          .format(name), result.shape, result.stride(), result.device,
                          result.dtype)
                    failed = True
        if failed and True:
            print("`{}` inputs are:".format(name))
            print_inputs(args)
            raise Exception("Operator `{}` lost channels_last property".format(name))
        return result

    return check_cl


old_attrs = dict()


def attribute(m, names):
    old_attrs[m] = dict()
    for i in names:
        e = getattr(m, i)
        old_attrs[m][i] = e
        setattr(m, i, check_wrapper(e))


# the tutorial wraps every public callable; a fixed list keeps the program independent of
# what else each library exports
attribute(torch.Tensor, ["add", "mul", "relu", "clone", "contiguous", "sigmoid", "__add__"])
attribute(torch.nn.functional, ["conv2d", "batch_norm", "relu", "max_pool2d",
                                "adaptive_avg_pool2d", "avg_pool2d", "hardtanh"])
attribute(torch, ["add", "mul", "relu", "sigmoid", "tanh", "cat"])

torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3), torch.nn.BatchNorm2d(6), torch.nn.ReLU6(),
    torch.nn.AvgPool2d(2), torch.nn.Conv2d(6, 6, 1), torch.nn.ReLU())
net = net.to(memory_format=torch.channels_last)
inp = torch.randn(2, 3, 10, 10).to(memory_format=torch.channels_last)
res = net(inp)
print(res.stride(), res.is_contiguous(memory_format=torch.channels_last))
res = torch.sigmoid(res).add(1).mul(res)
print(res.stride())
print(torch.cat([res, res], dim=1).stride())
try:
    res.view(2, -1)
except RuntimeError as err:
    print("view:", err)
print(res.reshape(2, -1).stride())

for (m, attrs) in old_attrs.items():
    for (k, v) in attrs.items():
        setattr(m, k, v)

# Strides of views, permutes and the preserve_format rule of clone / *_like
t = torch.arange(12.).reshape(3, 4)
print(t.t().stride(), t.t().clone().stride(), t.t().contiguous().stride())
print(torch.empty_like(t.t()).stride(), torch.zeros_like(t.t()).stride())
print(t[:, 1:3].stride(), t[:, 1:3].storage_offset(), t[:, 1:3].clone().stride())
print(t[1].storage_offset(), t[:, ::2].stride(), t[:, ::2].clone().stride())
p = torch.randn(2, 3, 4, 5).permute(0, 2, 3, 1)
print(p.stride(), p.clone().stride(), torch.empty_like(p).stride())
v3 = torch.randn(2, 3, 4, 5, 6).to(memory_format=torch.channels_last_3d)
print(v3.stride(), v3.is_contiguous(memory_format=torch.channels_last_3d))
print(torch.as_strided(t, (2, 2), (1, 4), 1), t.as_strided((2, 2), (1, 4), 1).stride())
