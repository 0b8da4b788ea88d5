"""A short tour of ember's tensors, from the tutorial's "Introduction to PyTorch Tensors":
run `python -m ember.examples.tensors` and compare with what PyTorch prints."""
import math

import ember as torch


def main():
    z = torch.zeros(5, 3)
    print(z)
    print(z.dtype)
    i = torch.ones((5, 3), dtype=torch.int16)
    print(i)
    torch.manual_seed(1729)
    r1 = torch.rand(2, 2)
    print('A random tensor:')
    print(r1)
    r2 = torch.rand(2, 2)
    print('\nA different random tensor:')
    print(r2)
    torch.manual_seed(1729)
    r3 = torch.rand(2, 2)
    print('\nShould match r1:')
    print(r3)
    ones = torch.ones(2, 3)
    twos = torch.ones(2, 3) * 2
    threes = ones + twos
    print(threes)
    print(threes.shape)
    r = (torch.rand(2, 2) - 0.5) * 2
    print('A random matrix, r:')
    print(r)
    print('\nAbsolute value of r:')
    print(torch.abs(r))
    print('\nInverse sine of r:')
    print(torch.asin(r))
    print('\nDeterminant of r:')
    print(torch.det(r))
    print('\nSingular value decomposition of r:')
    print(torch.svd(r))
    print('\nAverage and standard deviation of r:')
    print(torch.std_mean(r))
    print('\nMaximum value of r:')
    print(torch.max(r))
    a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    b = torch.sin(a)
    out = (2 * b + 1).sum()
    out.backward()
    print(a.grad)


if __name__ == "__main__":
    main()
