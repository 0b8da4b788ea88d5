# PyTorch notes "Reproducibility": seeding torch/random/numpy, the cuDNN flags,
# torch.use_deterministic_algorithms (and its error for a nondeterministic op, printed via
# try/except), and DataLoader workers seeded through worker_init_fn=seed_worker plus a
# torch.Generator. A small synthetic dataset stands in for a real one.
import random

import numpy
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
random.seed(0)
np.random.seed(0)

print(torch.initial_seed())
print(torch.rand(2), random.random(), np.random.rand())

torch.backends.cudnn.benchmark = False
print(torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)

# --- Avoiding nondeterministic algorithms ---
print(torch.are_deterministic_algorithms_enabled())
torch.use_deterministic_algorithms(True)
print(torch.are_deterministic_algorithms_enabled(),
      torch.is_deterministic_algorithms_warn_only_enabled(),
      torch.get_deterministic_debug_mode())

# put_ without accumulate has no deterministic implementation
t = torch.zeros(5)
try:
    t.put_(torch.tensor([0, 0]), torch.tensor([1., 2.]))
except RuntimeError as e:
    print(e)
print(t.put_(torch.tensor([0, 0]), torch.tensor([1., 2.]), accumulate=True))

# uninitialized memory is filled with a known value in deterministic mode
print(torch.utils.deterministic.fill_uninitialized_memory)
print(torch.empty(3), torch.empty(2, dtype=torch.long))
print(torch.zeros(2).resize_(4))
torch.utils.deterministic.fill_uninitialized_memory = False
print(torch.empty(0), torch.utils.deterministic.fill_uninitialized_memory)
torch.utils.deterministic.fill_uninitialized_memory = True

torch.use_deterministic_algorithms(True, warn_only=True)
print(torch.is_deterministic_algorithms_warn_only_enabled(), torch.get_deterministic_debug_mode())
torch.set_deterministic_debug_mode("error")
print(torch.get_deterministic_debug_mode(), torch.is_deterministic_algorithms_warn_only_enabled())
try:
    torch.set_deterministic_debug_mode("loud")
except RuntimeError as e:
    print(e)
torch.set_deterministic_debug_mode(0)
print(torch.are_deterministic_algorithms_enabled())

# --- CUDA convolution determinism ---
torch.backends.cudnn.deterministic = True
print(torch.backends.cudnn.deterministic)

# deterministic mode changes nothing on ordinary CPU ops: same seed, same training
torch.use_deterministic_algorithms(True)
for run in range(2):
    torch.manual_seed(42)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    print(run, loss.item())
torch.use_deterministic_algorithms(False)


# --- DataLoader ---
class RandomAugment(Dataset):
    """Each item draws from python, numpy and torch RNGs, as augmentations do."""

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        return idx, random.randint(0, 1000), int(np.random.randint(0, 1000)), torch.rand(1)


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    numpy.random.seed(worker_seed)
    random.seed(worker_seed)


train_dataset = RandomAugment()
for trial in range(2):
    g = torch.Generator()
    g.manual_seed(0)

    loader = DataLoader(
        train_dataset,
        batch_size=2,
        shuffle=True,
        num_workers=2,
        worker_init_fn=seed_worker,
        generator=g,
    )
    for idx, a, b, c in loader:
        print(trial, idx.tolist(), a.tolist(), b.tolist(), c.flatten())

# the generator alone fixes the shuffling order in the main process as well
g = torch.Generator()
g.manual_seed(0)
print([batch.tolist() for batch in DataLoader(torch.arange(10), batch_size=3, shuffle=True,
                                              generator=g)])
print(g.initial_seed(), torch.Generator().manual_seed(3).initial_seed())
