#!/usr/bin/env python3
"""PyTorch's peer of bench/generate.bench.ts: sampling zaremba-medium token by token at batch 1.

The model is pytorch/examples word_language_model's RNNModel('LSTM') at Zaremba et al.'s medium
size (embedding 650, 2 LSTM layers of 650, Linear decoder), vocabulary 10,000, dense, eval mode,
no autograd. Each token: embedding of the previous word, the two LSTM layers with the hidden state
carried, the decoder, softmax(logits / temperature), one draw (torch.multinomial), as
word_language_model/generate.py does and as our `sample` does. Timed over --words words per
round, best of --rounds rounds (interference only adds time).

Run in the best CPU set-up (bench/pytorch/best-setup.sh):

    bench/pytorch/best-setup.sh bench/pytorch/generate.py --threads 1

Prints one line per thread count and, last, one JSON object:
    {"suite":"pytorch-generate","threads":1,"torch":"1.13.0","generate_tokens_per_s":{"zaremba-medium":{"1":t}}}
"""
import argparse
import json
import time

import torch
import torch.nn as nn

VOCAB = 10_000
EMSIZE = NHID = 650
NLAYERS = 2


class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, EMSIZE)
        self.rnn = nn.LSTM(EMSIZE, NHID, NLAYERS)
        self.decoder = nn.Linear(NHID, VOCAB)

    def forward(self, x, hidden):
        out, hidden = self.rnn(self.encoder(x), hidden)
        return self.decoder(out).view(-1, VOCAB), hidden


def sample(model, words, temperature, generator):
    hidden = (torch.zeros(NLAYERS, 1, NHID), torch.zeros(NLAYERS, 1, NHID))
    x = torch.zeros(1, 1, dtype=torch.long)
    for _ in range(words):
        logits, hidden = model(x, hidden)
        probs = torch.softmax(logits.squeeze(0) / temperature, dim=0)
        x.fill_(torch.multinomial(probs, 1, generator=generator).item())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--words', type=int, default=200)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--temperature', type=float, default=1.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = RNNModel().eval()
    generator = torch.Generator().manual_seed(0)
    best = float('inf')
    with torch.no_grad():
        sample(model, 10, a.temperature, generator)  # warm-up
        for _ in range(a.rounds):
            t0 = time.perf_counter()
            sample(model, a.words, a.temperature, generator)
            best = min(best, time.perf_counter() - t0)
    tps = a.words / best
    print(f'zaremba-medium dense, vocabulary {VOCAB}, batch 1, {a.threads} thread(s): {tps:.1f} tokens/s '
          f'(best of {a.rounds} rounds of {a.words} words)')
    print(json.dumps({'suite': 'pytorch-generate', 'threads': a.threads, 'torch': torch.__version__,
                      'generate_tokens_per_s': {'zaremba-medium': {'1': round(tps, 1)}}}))


if __name__ == '__main__':
    main()
