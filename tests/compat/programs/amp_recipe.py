# PyTorch's "Automatic Mixed Precision" recipe, shrunk: autocast + GradScaler on whatever
# device there is (on a CPU-only machine the scaler for "cuda" disables itself with a warning).
import torch
import warnings

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


def make_model(in_size, out_size, num_layers):
    layers = []
    for _ in range(num_layers - 1):
        layers.append(torch.nn.Linear(in_size, in_size))
        layers.append(torch.nn.ReLU())
    layers.append(torch.nn.Linear(in_size, out_size))
    return torch.nn.Sequential(*tuple(layers)).to(device)


batch_size, in_size, out_size, num_layers, num_batches, epochs = 16, 32, 8, 3, 4, 3
data = [torch.randn(batch_size, in_size, device=device) for _ in range(num_batches)]
targets = [torch.randn(batch_size, out_size, device=device) for _ in range(num_batches)]
loss_fn = torch.nn.MSELoss().cuda() if device == "cuda" else torch.nn.MSELoss()

# default precision
net = make_model(in_size, out_size, num_layers)
opt = torch.optim.SGD(net.parameters(), lr=0.001)
for epoch in range(epochs):
    for input, target in zip(data, targets):
        output = net(input)
        loss = loss_fn(output, target)
        loss.backward()
        opt.step()
        opt.zero_grad()
    print("float32 epoch", epoch, round(loss.item(), 4), output.dtype)

# autocast + GradScaler, bfloat16 on CPU (no scaling needed, so the scaler is disabled)
use_amp = True
net = make_model(in_size, out_size, num_layers)
opt = torch.optim.SGD(net.parameters(), lr=0.001)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    print([str(x.message) for x in w])
print("scaler enabled:", scaler.is_enabled(), scaler.get_scale())
for epoch in range(epochs):
    for input, target in zip(data, targets):
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_amp):
            output = net(input)
            assert output.dtype is torch.bfloat16
            loss = loss_fn(output, target)
            assert loss.dtype is torch.float32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
    print("autocast epoch", epoch, round(loss.item(), 2), output.dtype, loss.dtype)

# a real CPU scaler: scale, unscale_, clip, step, update, state_dict
scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8, growth_interval=2)
for i, (input, target) in enumerate(zip(data, targets)):
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        loss = loss_fn(net(input), target)
    scaled = scaler.scale(loss)
    print("scaled/loss", round((scaled / loss).item(), 1))
    scaled.backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()
    print("scale", scaler.get_scale(), scaler.state_dict())

checkpoint = {"model": net.state_dict(), "optimizer": opt.state_dict(),
              "scaler": scaler.state_dict()}
scaler2 = torch.amp.GradScaler("cpu")
scaler2.load_state_dict(checkpoint["scaler"])
print(scaler2.get_scale(), scaler2.get_growth_interval())
print(torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
