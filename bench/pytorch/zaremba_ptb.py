#!/usr/bin/env python3
"""Zaremba et al.'s small LSTM trained on PTB with the recipe of our `zaremba-small` model (the
TensorFlow PTB tutorial's SmallConfig): 2 layers × 200, no dropout, every parameter U(±0.1), plain
SGD, ×0.5 per epoch after epoch 4, 13 epochs, BPTT 20, batch 20; validation with batch 20, test
with batch 1 (as our recipe). The tutorial's lr 1 and clip 5 act on the loss summed over the 20
steps; this script (like ours) takes the per-token mean, so the same updates are lr 20, clip 0.25. The vocabulary is built as
selfish-rnn's word-corpus loader builds it (the reference data.py: words in first-seen order over
train, valid and test, each line ending in <eos>), so perplexities compare one to one.

It is the PyTorch side of the study's time-to-perplexity curves (bench/STUDY.md): one JSON line
per epoch ({"epoch", "lr", "train_ppl", "valid_ppl", "train_seconds", "eval_seconds"}), then one
with the test perplexity. Run it in PyTorch's best set-up, on an idle machine when its times
matter (its OpenMP threads collapse when anything else runs):

    bench/pytorch/best-setup.sh bench/pytorch/zaremba_ptb.py --data ../shared/data/ptb --threads 2 \
        [--epochs 13] [--seed 1] [--state RUN.pt] >> bench/pytorch/zaremba-ptb.jsonl
        (--state: saved after every epoch and resumed from, so the same command continues a stopped run)
    bench/pytorch/best-setup.sh bench/pytorch/zaremba_ptb.py --data ../shared/data/ptb --threads 2 --time-only 200
        (times 200 training steps and one validation pass, for seconds per epoch, without training to the end)
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_corpus(path):
    vocab = {}
    splits = {}
    for split in ('train', 'valid', 'test'):
        ids = []
        with open(os.path.join(path, f'{split}.txt'), encoding='utf8') as f:
            for line in f:
                for w in line.split() + ['<eos>']:
                    if w not in vocab:
                        vocab[w] = len(vocab)
                    ids.append(vocab[w])
        splits[split] = torch.tensor(ids, dtype=torch.long)
    return vocab, splits


def batchify(ids, bsz):
    n = ids.numel() // bsz
    return ids[: n * bsz].view(bsz, n).t().contiguous()


class Model(nn.Module):
    def __init__(self, vocab, emsize=200, nhid=200, nlayers=2, init=0.1):
        super().__init__()
        self.encoder = nn.Embedding(vocab, emsize)
        self.rnn = nn.LSTM(emsize, nhid, nlayers)
        self.decoder = nn.Linear(nhid, vocab)
        self.nlayers, self.nhid = nlayers, nhid
        for p in self.parameters():
            nn.init.uniform_(p, -init, init)

    def forward(self, x, h):
        out, h = self.rnn(self.encoder(x), h)
        return self.decoder(out.view(-1, out.size(2))), h

    def zero_state(self, bsz):
        z = torch.zeros(self.nlayers, bsz, self.nhid)
        return (z, z.clone())


def evaluate(model, data, bptt):
    model.eval()
    h = model.zero_state(data.size(1))
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            seq = min(bptt, data.size(0) - 1 - i)
            logits, h = model(data[i:i + seq], h)
            y = data[i + 1:i + 1 + seq].reshape(-1)
            total += F.cross_entropy(logits, y, reduction='sum').item()
            count += y.numel()
    return total / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='../shared/data/ptb')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--epochs', type=int, default=13)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--time-only', type=int, default=0, help='time this many training steps and one validation pass, then stop')
    ap.add_argument('--state', default='', help='a file to save the run to after every epoch and to resume it from (a long run spans sessions)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    vocab, s = read_corpus(a.data)
    bptt, batch = 20, 20
    lr, clip = 1.0 * bptt, 5.0 / bptt  # the tutorial's lr 1 and clip 5 on the loss summed over the steps
    train, valid, test = batchify(s['train'], batch), batchify(s['valid'], 20), batchify(s['test'], 1)
    model = Model(len(vocab))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    steps_per_epoch = (train.size(0) - 1 + bptt - 1) // bptt
    first = 1
    if a.state and os.path.exists(a.state):
        # Resume after the last finished epoch: weights, lr and the generator (epochs end at a step boundary).
        st = torch.load(a.state)
        model.load_state_dict(st['model'])
        opt.load_state_dict(st['opt'])
        torch.set_rng_state(st['rng'])
        first = st['epoch'] + 1
    else:
        print(json.dumps({'setup': {'torch': torch.__version__, 'threads': a.threads, 'vocab': len(vocab), 'steps_per_epoch': steps_per_epoch,
                                    'train_tokens': int(s['train'].numel())}}), flush=True)
    for epoch in range(first, a.epochs + 1):
        model.train()
        h = model.zero_state(batch)
        t0 = time.perf_counter()
        total, count, steps = 0.0, 0, 0
        for i in range(0, train.size(0) - 1, bptt):
            seq = min(bptt, train.size(0) - 1 - i)
            h = (h[0].detach(), h[1].detach())
            logits, h = model(train[i:i + seq], h)
            y = train[i + 1:i + 1 + seq].reshape(-1)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            total += loss.item() * y.numel()
            count += y.numel()
            steps += 1
            if a.time_only and steps >= a.time_only:
                break
        train_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        v = evaluate(model, valid, bptt)
        eval_s = time.perf_counter() - t1
        rec = {'epoch': epoch, 'lr': opt.param_groups[0]['lr'], 'train_ppl': math.exp(total / count), 'valid_ppl': math.exp(v),
               'train_seconds': train_s, 'eval_seconds': eval_s, 'steps': steps}
        if a.time_only:
            rec['seconds_per_epoch'] = train_s * steps_per_epoch / steps + eval_s
            print(json.dumps(rec), flush=True)
            return
        print(json.dumps(rec), flush=True)
        # Zaremba's schedule: lr constant for 4 epochs, then × 0.5 per epoch.
        for g in opt.param_groups:
            g['lr'] = lr * 0.5 ** max(0, epoch + 1 - 4)
        if a.state:
            tmp = a.state + '.tmp'
            torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'rng': torch.get_rng_state(), 'epoch': epoch}, tmp)
            os.replace(tmp, a.state)
    t2 = time.perf_counter()
    tl = evaluate(model, test, bptt)
    print(json.dumps({'test_ppl': math.exp(tl), 'test_seconds': time.perf_counter() - t2}), flush=True)


main()
