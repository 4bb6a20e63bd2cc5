# Writes the torch.nn.utils.prune fixture that PyTorchPruneImportTests reads: a small model pruned by PyTorch itself,
# its state dict (conv.weight_orig, conv.weight_mask, ...: the keys prune saves) and one input with PyTorch's output.
# Run once by hand (`/usr/bin/python3 make.py`, PyTorch 1.13 here); the tests read the files and need no Python.
# safetensors is written by hand from its specification (no safetensors package here): an 8-byte little-endian
# header length, a JSON header of {name: {dtype, shape, data_offsets}} with __metadata__, padded with spaces to a
# multiple of 8, then the data.
import json
import struct

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)   # input [N, 2, 4, 4] -> [N, 4, 2, 2]
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def save(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


torch.manual_seed(7)
net = Net()
prune.ln_structured(net.conv, "weight", amount=0.5, n=1, dim=0)   # two of the four filters
prune.l1_unstructured(net.fc, "weight", amount=0.5)             # 24 of the 48 weights
state = net.state_dict()
assert sorted(state) == ["conv.bias", "conv.weight_mask", "conv.weight_orig", "fc.bias", "fc.weight_mask", "fc.weight_orig"], sorted(state)
save("pruned.safetensors", state)

x = torch.randn(5, 2, 4, 4)
with torch.no_grad():
    save("expected.safetensors", {"input": x, "output": net(x), "conv.weight": net.conv.weight, "fc.weight": net.fc.weight})
print(torch.__version__, {name: list(value.shape) for name, value in state.items()})
