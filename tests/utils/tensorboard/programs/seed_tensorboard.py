# The seed's "PyTorch TensorBoard support" chapter as a program for torch (run by ember through
# `python -m ember run`). Changes from the tutorial, all forced by the sandbox: Fashion-MNIST is
# replaced by seeded random 28x28 uint8 images (no download), torchvision's make_grid by a local
# one with the same layout (torchvision is not installed beside the oracle), the dataset is small
# and the loss is logged every 4 batches instead of every 1000. Usage: seed_tensorboard.py LOGDIR
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.tensorboard import SummaryWriter

logdir = sys.argv[1]
torch.manual_seed(0)


class FashionMNISTLike(TensorDataset):
    """`data` (N, 28, 28) uint8 and `targets` like torchvision's FashionMNIST; items are
    ToTensor() + Normalize((0.5,), (0.5,)) images with their labels."""

    def __init__(self, n):
        self.data = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8)
        self.targets = torch.randint(0, 10, (n,))
        images = (self.data.float() / 255 - 0.5) / 0.5
        super().__init__(images.unsqueeze(1), self.targets)


def make_grid(tensor, nrow=8, padding=2):
    """torchvision.utils.make_grid for a batch of 1-channel images (channel repeated to 3)."""
    n, c, h, w = tensor.shape
    if c == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    xmaps = min(nrow, n)
    ymaps = (n + xmaps - 1) // xmaps
    H, W = h + padding, w + padding
    grid = torch.zeros(3, ymaps * H + padding, xmaps * W + padding)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= n:
                break
            grid[:, y * H + padding:y * H + padding + h,
                 x * W + padding:x * W + padding + w] = tensor[k]
            k += 1
    return grid


training_set = FashionMNISTLike(48)
validation_set = FashionMNISTLike(12)
training_loader = DataLoader(training_set, batch_size=4, shuffle=True)
validation_loader = DataLoader(validation_set, batch_size=4, shuffle=False)
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
           'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle Boot')

# Extract a batch of 4 images
dataiter = iter(training_loader)
images, labels = next(dataiter)

# Create a grid from the images and show them
img_grid = make_grid(images)
print(img_grid.shape)

# Default log_dir argument is "runs" - but it's good to be specific
writer = SummaryWriter(logdir)

# Write image data to TensorBoard log dir
writer.add_image('Four Fashion-MNIST Images', img_grid)
writer.flush()


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

print(len(validation_loader))
for epoch in range(1):  # loop over the dataset multiple times
    running_loss = 0.0

    for i, data in enumerate(training_loader, 0):
        # basic training loop
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        if i % 4 == 3:    # Every 4 mini-batches...
            print('Batch {}'.format(i + 1))
            # Check against the validation set
            running_vloss = 0.0

            net.train(False)  # Don't need to track gradents for validation
            for j, vdata in enumerate(validation_loader, 0):
                vinputs, vlabels = vdata
                voutputs = net(vinputs)
                vloss = criterion(voutputs, vlabels)
                running_vloss += vloss.item()
            net.train(True)  # Turn gradients back on for training

            avg_loss = running_loss / 4
            avg_vloss = running_vloss / len(validation_loader)

            # Log the running loss averaged per batch
            writer.add_scalars('Training vs. Validation Loss',
                               {'Training': avg_loss, 'Validation': avg_vloss},
                               epoch * len(training_loader) + i)

            running_loss = 0.0
print('Finished Training')

writer.flush()

# Again, grab a single mini-batch of images
dataiter = iter(training_loader)
images, labels = next(dataiter)

# add_graph() will trace the sample input through your model,
# and render it as a graph.
writer.add_graph(net, images)
writer.flush()


# Select a random subset of data and corresponding labels
def select_n_random(data, labels, n=100):
    assert len(data) == len(labels)

    perm = torch.randperm(len(data))
    return data[perm][:n], labels[perm][:n]


# Extract a random subset of data
images, labels = select_n_random(training_set.data, training_set.targets, n=20)

# get the class labels for each image
class_labels = [classes[label] for label in labels]

# log embeddings
features = images.view(-1, 28 * 28)
writer.add_embedding(features,
                     metadata=class_labels,
                     label_img=images.unsqueeze(1))
writer.flush()
writer.close()
print('Logged', sorted(writer.all_writers or []), writer.get_logdir() == logdir)
