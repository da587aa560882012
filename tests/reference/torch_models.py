"""The thesis networks in PyTorch, with the parameter names of varstar's models/.

These are the reference implementations the C++ engine is checked against
(tests/models/test_torch_reference.cpp) and benchmarked against (varstar bench).
"""
import torch
from torch import nn
import torch.nn.functional as F


class CnnLstm(nn.Module):
    """Table 2: Conv1D 64,128 (k3 p1), MaxPool 2, Conv1D 256,256 (k5 p2), MaxPool 2,
    LSTM 64, LSTM 128, last step, FC 1024, 512, classes."""

    def __init__(self, num_classes, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv1d(in_channels, 64, 3, padding=1)
        self.conv2 = nn.Conv1d(64, 128, 3, padding=1)
        self.conv3 = nn.Conv1d(128, 256, 5, padding=2)
        self.conv4 = nn.Conv1d(256, 256, 5, padding=2)
        self.lstm1 = nn.LSTM(256, 64, batch_first=True)
        self.lstm2 = nn.LSTM(64, 128, batch_first=True)
        self.fc1 = nn.Linear(128, 1024)
        self.fc2 = nn.Linear(1024, 512)
        self.fc3 = nn.Linear(512, num_classes)

    def last_state(self, x):
        """The convolutions and LSTMs: the last time step of lstm2, (B, 128)."""
        h = F.relu(self.conv1(x))
        h = F.relu(self.conv2(h))
        h = F.max_pool1d(h, 2)
        h = F.relu(self.conv3(h))
        h = F.relu(self.conv4(h))
        h = F.max_pool1d(h, 2)
        h = h.permute(0, 2, 1)
        h, _ = self.lstm1(h)
        h, _ = self.lstm2(h)
        return h[:, -1, :]

    def forward(self, x):
        h = self.last_state(x)
        h = F.relu(self.fc1(h))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


class Cnn2dTable3(nn.Module):
    """Table 3 with same padding: Conv2D 3x3 64, 5x5 128, MaxPool 2, 5x5 256, 5x5 256,
    MaxPool 2, FC 1024, 512, classes."""

    def __init__(self, num_classes, in_channels=1, height=24, width=24):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 5, padding=2)
        self.conv3 = nn.Conv2d(128, 256, 5, padding=2)
        self.conv4 = nn.Conv2d(256, 256, 5, padding=2)
        self.fc1 = nn.Linear(256 * (height // 4) * (width // 4), 1024)
        self.fc2 = nn.Linear(1024, 512)
        self.fc3 = nn.Linear(512, num_classes)

    def forward(self, x):
        h = F.relu(self.conv1(x))
        h = F.relu(self.conv2(h))
        h = F.max_pool2d(h, 2)
        h = F.relu(self.conv3(h))
        h = F.relu(self.conv4(h))
        h = F.max_pool2d(h, 2)
        h = h.flatten(1)
        h = F.relu(self.fc1(h))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


class Cnn2dScripts(nn.Module):
    """The authors' scripts: input 3x90x53; Conv2d(3,64,3,p1), MaxPool 2, Dropout 0.1,
    Conv2d(64,128,5), Conv2d(128,256,5), FC 512, Dropout 0.1, classes."""

    def __init__(self, num_classes, in_channels=3, height=90, width=53):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 5)
        self.conv3 = nn.Conv2d(128, 256, 5)
        self.fc1 = nn.Linear(256 * (height // 2 - 8) * (width // 2 - 8), 512)
        self.fc2 = nn.Linear(512, num_classes)
        self.drop1 = nn.Dropout(0.1)
        self.drop2 = nn.Dropout(0.1)

    def forward(self, x):
        h = F.relu(self.conv1(x))
        h = F.max_pool2d(h, 2)
        h = self.drop1(h)
        h = F.relu(self.conv2(h))
        h = F.relu(self.conv3(h))
        h = h.flatten(1)
        h = F.relu(self.fc1(h))
        h = self.drop2(h)
        return self.fc2(h)


def make_model(name, num_classes, sample_shape):
    if name == "cnn-lstm":
        return CnnLstm(num_classes, sample_shape[0])
    if name == "cnn2d":
        return Cnn2dTable3(num_classes, *sample_shape)
    if name == "cnn2d-scripts":
        return Cnn2dScripts(num_classes, *sample_shape)
    raise ValueError(f"unknown model {name}")
