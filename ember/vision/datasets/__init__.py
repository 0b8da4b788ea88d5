"""torchvision.datasets for ember: CIFAR10/100, MNIST/FashionMNIST/KMNIST, ImageFolder,
DatasetFolder, FakeData, and Digits (a real dataset embedded in the package).
"""
from .cifar import CIFAR10, CIFAR100
from .digits import Digits
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "Digits", "FakeData", "FashionMNIST",
           "ImageFolder", "KMNIST", "MNIST", "VisionDataset"]
