#!/usr/bin/env python3
"""The pre-clip gradient norm of one training step, computed by plain PyTorch the official way.

Input: a directory written by bench/pytorch/clip-norm-fixture.mjs with
  weights.safetensors  our run's weights at step 0 (sparse ones expanded: zeros where no weight
                       exists, plus `<name>.mask`), exported by selfish-rnn's exportSafetensors
  batch.json           the first training batch (input and target ids, [T][B]) and the sizes
Output (stdout, JSON): the norm of the DENSE gradient (what Selfish-RNN's clip_grad_norm_ sees:
masked positions included), and the norm over the existing weights only (gradient ⊙ mask).

The model is the Selfish-RNN / pytorch-examples stacked LSTM (Embedding → nn.LSTM → Linear, mean
cross-entropy, dropout off, zero initial state), in float64 on the float32 weights.
Run: /usr/bin/python3 bench/pytorch/clip_norm.py DIR
"""
import json
import struct
import sys

import torch
import torch.nn as nn

DTYPES = {"F32": torch.float32, "BOOL": torch.bool, "I32": torch.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + a:base + b]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"])
    return out


def main(d):
    w = read_safetensors(f"{d}/weights.safetensors")
    batch = json.load(open(f"{d}/batch.json"))
    vocab, emsize = w["encoder.weight"].shape
    nhid = w["rnn.weight_hh_l0"].shape[1]
    nlayers = sum(1 for k in w if k.startswith("rnn.weight_ih_l") and not k.endswith(".mask"))
    torch.set_default_dtype(torch.float64)
    enc = nn.Embedding(vocab, emsize)
    rnn = nn.LSTM(emsize, nhid, nlayers)
    dec = nn.Linear(nhid, vocab)
    params = {"encoder.weight": enc.weight, "decoder.weight": dec.weight, "decoder.bias": dec.bias}
    for name, p in rnn.named_parameters():
        params[f"rnn.{name}"] = p
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(w[name].double())
    inp = torch.tensor(batch["input"], dtype=torch.long)
    tgt = torch.tensor(batch["target"], dtype=torch.long)
    out, _ = rnn(enc(inp))
    loss = nn.functional.cross_entropy(dec(out).reshape(-1, vocab), tgt.reshape(-1))
    loss.backward()
    dense = torch.sqrt(sum((p.grad ** 2).sum() for p in params.values())).item()
    active = torch.sqrt(sum(((p.grad * w[f"{n}.mask"].double()) if f"{n}.mask" in w else p.grad).pow(2).sum() for n, p in params.items())).item()
    print(json.dumps({"loss": loss.item(), "dense_norm": dense, "active_norm": active, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1])
