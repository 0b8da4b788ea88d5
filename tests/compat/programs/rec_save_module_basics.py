# pytorch.org recipes "Defining a Neural Network in PyTorch" (the MNIST-shaped Net with two
# convs, dropout, flatten and log_softmax, run on one random image) and "Zeroing out gradients in
# PyTorch" (a CIFAR-shaped Net trained a few mini-batches with optimizer.zero_grad()). Random
# images stand in for MNIST/CIFAR10 (no torchvision), and two "epochs" of three batches
# replace the recipe's two epochs over CIFAR10.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()

        # First 2D convolutional layer, taking in 1 input channel (image),
        # outputting 32 convolutional features, with a square kernel size of 3
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        # Second 2D convolutional layer, taking in the 32 input layers,
        # outputting 64 convolutional features, with a square kernel size of 3
        self.conv2 = nn.Conv2d(32, 64, 3, 1)

        # Designed to ensure that adjacent pixels are either all 0s or all active
        # with an input probability
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)

        # First fully connected layer
        self.fc1 = nn.Linear(9216, 128)
        # Second fully connected layer that outputs our 10 labels
        self.fc2 = nn.Linear(128, 10)

    # x represents our data
    def forward(self, x):
        # Pass data through conv1
        x = self.conv1(x)
        # Use the rectified-linear activation function over x
        x = F.relu(x)

        x = self.conv2(x)
        x = F.relu(x)

        # Run max pooling over x
        x = F.max_pool2d(x, 2)
        # Pass data through dropout1
        x = self.dropout1(x)
        # Flatten x with start_dim=1
        x = torch.flatten(x, 1)
        # Pass data through ``fc1``
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)

        # Apply softmax to x
        output = F.log_softmax(x, dim=1)
        return output


my_nn = Net()
print(my_nn)

# Equates to one random 28x28 image
random_data = torch.rand((1, 1, 28, 28))

result = my_nn(random_data)
print(result)

# the same net in eval mode (dropout off) and its parameter inventory
my_nn.eval()
with torch.no_grad():
    print(my_nn(random_data))
for name, p in my_nn.named_parameters():
    print(name, p.shape, p.requires_grad, p.dtype)
print(sum(p.numel() for p in my_nn.parameters()))
print(my_nn.conv1, my_nn.dropout1, my_nn.training, my_nn.conv1.training)
print([name for name, _ in my_nn.named_children()])
print(my_nn.fc2.weight[0, :5])
print(my_nn.fc2.bias)


# ---- Zeroing out gradients ----

images = torch.randn(12, 3, 32, 32)
targets = torch.randint(0, 10, (12,))
trainset = TensorDataset(images, targets)
trainloader = DataLoader(trainset, batch_size=4, shuffle=True, num_workers=0)


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

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

print(net.conv1.weight.grad)
for epoch in range(2):  # loop over the dataset multiple times

    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        # get the inputs; data is a list of [inputs, labels]
        inputs, labels = data

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()
        if i % 2 == 1:    # print every 2 mini-batches
            print('[%d, %5d] loss: %.3f' %
                  (epoch + 1, i + 1, running_loss / 2))
            running_loss = 0.0

print('Finished Training')

# zero_grad() sets grads to None by default; set_to_none=False keeps zero tensors
print(net.fc3.bias.grad is None)
loss = criterion(net(images[:4]), targets[:4])
loss.backward()
print(net.fc3.bias.grad)
optimizer.zero_grad(set_to_none=False)
print(net.fc3.bias.grad)
loss = criterion(net(images[:4]), targets[:4])
loss.backward()
net.zero_grad()
print(net.fc3.bias.grad, net.conv1.weight.grad)

# gradients accumulate when not zeroed
loss = criterion(net(images[:4]), targets[:4])
loss.backward()
g1 = net.fc3.bias.grad.clone()
loss = criterion(net(images[:4]), targets[:4])
loss.backward()
print(torch.allclose(net.fc3.bias.grad, 2 * g1))
for p in net.parameters():
    p.grad = None
print(all(p.grad is None for p in net.parameters()))
