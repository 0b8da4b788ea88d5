# pytorch.org recipes "What is a state_dict", "Saving and loading models for inference",
# "Saving and loading a general checkpoint", "Saving and loading multiple models in one file",
# "Warmstarting model using parameters from a different model" and "Saving and loading models
# across devices", plus the tutorial "Saving and Loading Models" (entire model, io.BytesIO).
# Files go to the working directory (the harness runs in a temp dir); a few training steps on
# random data stand in for CIFAR so the state has momentum buffers to save.
import io
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
print(net)

optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

# --- What is a state_dict ---
# Print model's state_dict
print("Model's state_dict:")
for param_tensor in net.state_dict():
    print(param_tensor, "\t", net.state_dict()[param_tensor].size())

# Print optimizer's state_dict
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])

# a few steps so the optimizer has state
criterion = nn.CrossEntropyLoss()
inputs, labels = torch.randn(4, 3, 32, 32), torch.tensor([1, 0, 3, 9])
for step in range(3):
    optimizer.zero_grad()
    loss = criterion(net(inputs), labels)
    loss.backward()
    optimizer.step()
    print(step, loss.item())

sd = optimizer.state_dict()
print(list(sd.keys()), list(sd["state"].keys()))
print(sd["state"][9])
print(sd["param_groups"])

# --- Save/Load state_dict (recommended) ---
PATH = "state_dict_model.pt"
torch.save(net.state_dict(), PATH)

model = Net()
print(model.load_state_dict(torch.load(PATH, weights_only=True)))
model.eval()
print(torch.equal(model.fc3.bias, net.fc3.bias), model.training)

# --- Save/Load entire model ---
PATH = "entire_model.pt"
torch.save(net, PATH)
model = torch.load(PATH, weights_only=False)
model.eval()
print(type(model).__name__, torch.equal(model(inputs), net(inputs)))

# --- Saving & Loading a General Checkpoint for Inference and/or Resuming Training ---
EPOCH = 5
PATH = "model.pt"
LOSS = 0.4

torch.save({
            'epoch': EPOCH,
            'model_state_dict': net.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': LOSS,
            }, PATH)

model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']
print(sorted(checkpoint.keys()), epoch, loss)

model.eval()
# - or -
model.train()

# resuming gives the same next step as the original
for m, opt in ((net, optim.SGD(net.parameters(), lr=0.001, momentum=0.9)), (model, optimizer)):
    if opt is not optimizer:
        opt.load_state_dict(checkpoint['optimizer_state_dict'])
    opt.zero_grad()
    criterion(m(inputs), labels).backward()
    opt.step()
    print(m.fc3.bias)

# --- Saving Multiple Models in One File ---
netA = Net()
netB = Net()
optimizerA = optim.SGD(netA.parameters(), lr=0.001, momentum=0.9)
optimizerB = optim.Adam(netB.parameters(), lr=0.001)
PATH = "multi.pt"
torch.save({
            'modelA_state_dict': netA.state_dict(),
            'modelB_state_dict': netB.state_dict(),
            'optimizerA_state_dict': optimizerA.state_dict(),
            'optimizerB_state_dict': optimizerB.state_dict(),
            }, PATH)

modelA = Net()
modelB = Net()
optimModelA = optim.SGD(modelA.parameters(), lr=0.001, momentum=0.9)
optimModelB = optim.Adam(modelB.parameters(), lr=0.001)

checkpoint = torch.load(PATH, weights_only=True)
modelA.load_state_dict(checkpoint['modelA_state_dict'])
modelB.load_state_dict(checkpoint['modelB_state_dict'])
optimModelA.load_state_dict(checkpoint['optimizerA_state_dict'])
optimModelB.load_state_dict(checkpoint['optimizerB_state_dict'])

modelA.eval()
modelB.eval()
print(torch.equal(modelB.conv1.weight, netB.conv1.weight), optimModelB.state_dict()['param_groups'])

# --- Warmstarting Model Using Parameters from a Different Model ---


class NetA(nn.Module):
    def __init__(self):
        super(NetA, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


netA = NetA()


class NetB(nn.Module):
    def __init__(self):
        super(NetB, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc4 = nn.Linear(84, 2)  # a different head: fc3 is missing, fc4 unexpected

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc4(x)
        return x


netB = NetB()

PATH = "model_warm.pt"
torch.save(netA.state_dict(), PATH)
print(netB.load_state_dict(torch.load(PATH, weights_only=True), strict=False))
print(torch.equal(netB.fc2.weight, netA.fc2.weight))
result = netB.load_state_dict(torch.load(PATH, weights_only=True), strict=False)
print(result.missing_keys, result.unexpected_keys)
try:
    netB.load_state_dict(torch.load(PATH, weights_only=True))
except RuntimeError as e:
    print(str(e))

# a shape mismatch is an error even with strict=False
sd = netA.state_dict()
sd['fc2.weight'] = torch.zeros(3, 3)
try:
    netB.load_state_dict(sd, strict=False)
except RuntimeError as e:
    print(str(e))

# --- Saving & Loading Model Across Devices ---
device = torch.device('cpu')
model = Net()
model.load_state_dict(torch.load("state_dict_model.pt", map_location=device, weights_only=True))
print(model.conv1.weight.device)
model.to(device)

# --- Saving to an in-memory buffer ---
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
print(buffer.tell() > 0)
buffer.seek(0)
state = torch.load(buffer, weights_only=True)
print(type(state).__name__, list(state.keys())[:3], state['fc3.bias'])

buffer = io.BytesIO()
torch.save({'epoch': 3, 'tensors': [torch.arange(4), torch.ones(2, dtype=torch.float64)],
            'nested': {'lr': 0.1, 'name': 'sgd', 'shape': torch.Size([2, 3])}}, buffer)
buffer.seek(0)
obj = torch.load(buffer, weights_only=True)
print(obj)

# shared storage survives a save/load round trip
base = torch.arange(6.)
view = base[2:4]
buffer = io.BytesIO()
torch.save([base, view], buffer)
buffer.seek(0)
b2, v2 = torch.load(buffer)
v2.add_(100)
print(b2, v2)

for f in ("state_dict_model.pt", "entire_model.pt", "model.pt", "multi.pt", "model_warm.pt"):
    os.remove(f)
