"""The vocabulary of training and evaluating a detector head (``deepscreen.learn``): labelled
sets, training and augmentation settings, heads, and the estimates the evaluation reports."""

from __future__ import annotations

from deepscreen.learn.augment import Augmentation as Augmentation
from deepscreen.learn.dataset import LabelledSet as LabelledSet
from deepscreen.learn.dataset import load_labelled as load_labelled
from deepscreen.learn.dataset import read_groups as read_groups
from deepscreen.learn.dataset import regroup as regroup
from deepscreen.learn.holdout import fits_needed as fits_needed
from deepscreen.learn.metrics import Estimate as Estimate
from deepscreen.learn.metrics import EvalReport as EvalReport
from deepscreen.learn.metrics import format_estimate as format_estimate
from deepscreen.learn.train import TrainConfig as TrainConfig
from deepscreen.signals.learned.head import Head as Head
from deepscreen.signals.learned.head import load_head as load_head
from deepscreen.signals.learned.head import save_head as save_head
from deepscreen.signals.learned.normalise import Normalisation as Normalisation
from deepscreen.signals.learned.views import Views as Views
