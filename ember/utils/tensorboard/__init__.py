"""torch.utils.tensorboard: SummaryWriter writes TensorBoard event files (scalars, histograms,
images, text, graphs, embeddings, hparams, PR curves) from ember programs.

The files are real TFRecord event files built by ember's own small protobuf encoder
(_proto.py) and CRC32C framing (_record.py): no tensorboard, tensorboardX or protobuf at
runtime (numpy, Pillow for images, matplotlib only for add_figure). The `tensorboard` package
reads them, and tests use it as the reader.
"""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
