"""torchvision.models for ember: the classification model zoo (one module per family, as
torchvision), weight enums, and the registry (get_model, list_models, get_model_weights,
get_weight). Pretrained weights load from torch hub's local cache (see ember.hub).
"""
# ruff: noqa: F401,F403  (this file re-exports torchvision.models names)
from ._api import (Weights, WeightsEnum, get_model, get_model_builder, get_model_weights,
                   get_weight, list_models)
from .alexnet import *
from .convnext import *
from .densenet import *
from .efficientnet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .resnet import *
from .shufflenetv2 import *
from .squeezenet import *
from .vgg import *
from .vision_transformer import *
from ._utils import IntermediateLayerGetter
