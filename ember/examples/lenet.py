"""The main job: the tutorial's whole "Training your PyTorch model" program on ember.

`python -m ember.examples.lenet` trains the seed's LeNet on the UCI digits embedded in ember
(resized to 32x32 RGB, so the network is exactly the tutorial's), with the tutorial's transforms,
DataLoader (batch 4, shuffled, two worker processes), CrossEntropyLoss and SGD(lr=0.001,
momentum=0.9); it prints the tutorial's loss log and accuracy line and saves the state_dict.
`--dataset cifar10 --root DIR` runs the tutorial's own CIFAR-10 instead (DIR holds, or receives,
cifar-10-python.tar.gz).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.vision import datasets, transforms

CIFAR_CLASSES = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


class Net(nn.Module):
    """The tutorial's LeNet variant for 3 x 32 x 32 images."""

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


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m ember.examples.lenet",
                                description="Train the tutorial's LeNet with ember.")
    p.add_argument("--dataset", choices=["digits", "cifar10"], default="digits",
                   help="digits: the UCI digits embedded in ember (default); cifar10: the "
                        "tutorial's CIFAR-10 from --root")
    p.add_argument("--root", default="./data", help="where CIFAR-10 is (or is downloaded to)")
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over the training set (default: 8 for digits, 2 for cifar10)")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default=None,
                   help="checkpoint path (default: ./<dataset>_net.pth)")
    p.add_argument("--max-batches", type=int, default=None,
                   help="stop each epoch after this many batches (for quick smoke runs)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    p.add_argument("--logdir", default=None,
                   help="write TensorBoard logs (loss, accuracy, model graph) to this directory")
    return p.parse_args(argv)


def make_datasets(args):
    """(trainset, testset, classes) with the tutorial's transforms."""
    normalize = [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]
    if args.dataset == "cifar10":
        transform = transforms.Compose(normalize)
        trainset = datasets.CIFAR10(root=args.root, train=True, download=True,
                                    transform=transform)
        testset = datasets.CIFAR10(root=args.root, train=False, download=True,
                                   transform=transform)
        return trainset, testset, CIFAR_CLASSES
    # 8x8 grey digits -> the 32x32 RGB images the tutorial's network expects
    transform = transforms.Compose([transforms.Resize(32), transforms.Grayscale(3)] + normalize)
    trainset = datasets.Digits(train=True, transform=transform)
    testset = datasets.Digits(train=False, transform=transform)
    return trainset, testset, tuple(trainset.classes)


@contextlib.contextmanager
def progress(total, desc, enabled):
    """A tqdm bar on stderr when tqdm is installed (and wanted); otherwise nothing."""
    bar = None
    if enabled:
        try:
            from tqdm import tqdm
            bar = tqdm(total=total, desc=desc, unit="batch", leave=False, file=sys.stderr)
        except ImportError:
            bar = None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def say(line, bar):
    # keep the log lines intact under a live progress bar
    if bar is not None:
        bar.write(line)
    else:
        print(line, flush=True)


def main(argv=None):
    args = parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (8 if args.dataset == "digits" else 2)
    output = args.output or f"./{args.dataset}_net.pth"
    torch.manual_seed(args.seed)
    # LeNet's GEMMs are tiny: one BLAS thread is fastest, and leaves the other core to the
    # DataLoader's workers
    torch.set_num_threads(1)
    start = time.time()

    trainset, testset, classes = make_datasets(args)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size,
                                              shuffle=True, num_workers=args.workers)
    testloader = torch.utils.data.DataLoader(testset, batch_size=args.batch_size,
                                             shuffle=False, num_workers=args.workers)

    # a look at one batch, as the tutorial does before training
    images, labels = next(iter(trainloader))
    print(' '.join('%5s' % classes[labels[j]] for j in range(min(4, len(labels)))))

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    writer = None
    if args.logdir:
        from ember.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(args.logdir)
        writer.add_graph(net, images)

    # the tutorial logs every 2000 of CIFAR-10's 12500 batches per epoch: keep that proportion
    n_batches = len(trainloader)
    if args.max_batches is not None:
        n_batches = max(1, min(n_batches, args.max_batches))
    interval = max(1, round(n_batches * 2000 / 12500))
    for epoch in range(epochs):  # loop over the dataset multiple times
        running_loss = 0.0
        running_correct = running_seen = 0
        with progress(n_batches, f"epoch {epoch + 1}/{epochs}", not args.no_progress) as bar:
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
                if writer is not None:
                    running_correct += (outputs.argmax(1) == labels).sum().item()
                    running_seen += labels.size(0)
                if bar is not None:
                    bar.update(1)
                if i % interval == interval - 1:
                    say('[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / interval), bar)
                    if writer is not None:
                        step = epoch * n_batches + i + 1
                        writer.add_scalar('training loss', running_loss / interval, step)
                        writer.add_scalar('training accuracy', running_correct / running_seen,
                                          step)
                        running_correct = running_seen = 0
                    running_loss = 0.0
                if i + 1 >= n_batches:
                    break
    print('Finished Training')

    torch.save(net.state_dict(), output)
    print(f'Saved the trained weights to {output}')

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            # calculate outputs by running images through the network
            outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print('Accuracy of the network on the %d test images: %d %%' % (total,
                                                                     100 * correct / total))
    if writer is not None:
        writer.add_scalar('test accuracy', correct / total, epochs * n_batches)
        writer.close()
    print(f'({time.time() - start:.1f} s)', file=sys.stderr)
    return correct / total


if __name__ == "__main__":
    main()
