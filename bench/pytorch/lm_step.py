#!/usr/bin/env python3
"""PyTorch's training step for the models of bench/models.bench.ts, to compare tokens/s side by side.

The step is the one our bench times (bench/lm-step.ts): forward on fixed random tokens (vocabulary
10,000, each model's batch size and BPTT length, training-mode dropout), cross-entropy, backward,
gradient clipping at 0.25, SGD. Dense weights (PyTorch has no sparse LSTM; the research code
multiplies dense weights by masks, which costs the same as dense).

Best CPU set-up on this machine (DEVELOPERS.md): Debian's python3-torch with the OpenMP OpenBLAS
selected, 2 threads:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/pytorch/lm_step.py \
        --threads 2 --models zaremba-small,zaremba-medium,awd-lstm-mos-ptb

Prints a line per model and, last, one JSON object:
    {"suite":"pytorch","threads":2,"torch":"1.13.0","tokens_per_s":{"zaremba-small":{"1":t},...}}
"""
import argparse
import json
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 10_000
CONFIGS = {
    'zaremba-small': dict(kind='stacked', emsize=200, nhid=200, nlayers=2, dropout=0.0, batch=20, bptt=20),  # Zaremba et al.'s small: 20 steps
    'zaremba-medium': dict(kind='stacked', emsize=650, nhid=650, nlayers=2, dropout=0.5, batch=20, bptt=35),
    'zaremba-large': dict(kind='stacked', emsize=1500, nhid=1500, nlayers=2, dropout=0.65, batch=20, bptt=35),
    'awd-lstm-mos-ptb': dict(kind='awd-mos', emsize=280, nhid=960, nhidlast=620, nlayers=3, experts=15, dropout=0.4,
                             dropouth=0.225, dropouti=0.4, dropoute=0.1, dropoutl=0.29, wdrop=0.5, alpha=2.0, beta=1.0,
                             batch=12, bptt=70),
    # The Selfish-RNN paper's RHN (official models.RHN with --tied --couple) and ON-LSTM
    # (the Ordered-Neurons code): the sizes and dropouts of src/models/rhn.ts and onlstm.ts.
    'selfish-rhn': dict(kind='rhn', emsize=830, nhid=830, depth=10, dropout=0.65, dropouth=0.25, dropouti=0.65,
                        dropoute=0.2, batch=20, bptt=35),
    'selfish-onlstm': dict(kind='onlstm', emsize=400, nhid=1150, nlayers=3, chunk=10, dropout=0.45, dropouth=0.3,
                           dropouti=0.5, dropoute=0.1, wdrop=0.45, alpha=2.0, beta=1.0, batch=20, bptt=70),
}


class Stacked(nn.Module):
    """Zaremba et al.'s stacked LSTM: embedding, LSTM layers, linear decoder, standard dropout."""

    def __init__(self, c):
        super().__init__()
        self.drop = nn.Dropout(c['dropout'])
        self.encoder = nn.Embedding(VOCAB, c['emsize'])
        self.rnn = nn.LSTM(c['emsize'], c['nhid'], c['nlayers'], dropout=c['dropout'])
        self.decoder = nn.Linear(c['nhid'], VOCAB)

    def forward(self, x, y, hidden):
        out, hidden = self.rnn(self.drop(self.encoder(x)), hidden)
        logits = self.decoder(self.drop(out)).view(-1, VOCAB)
        return F.cross_entropy(logits, y.view(-1)), hidden


def locked_dropout(x, p, training):
    if not training or p == 0:
        return x
    mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p) / (1 - p)
    return x * mask


class AwdMos(nn.Module):
    """AWD-LSTM with a Mixture of Softmaxes (Yang et al.): weight-dropped W_hh (DropConnect),
    locked and embedding dropout, a tied decoder, AR/TAR on the last layer's output."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.encoder = nn.Embedding(VOCAB, c['emsize'])
        sizes = [c['emsize']] + [c['nhid']] * (c['nlayers'] - 1) + [c['nhidlast']]
        self.rnns = nn.ModuleList([nn.LSTM(sizes[i], sizes[i + 1]) for i in range(c['nlayers'])])
        self.raw_whh = nn.ParameterList([nn.Parameter(r.weight_hh_l0.detach().clone()) for r in self.rnns])
        for r in self.rnns:
            del r._parameters['weight_hh_l0']
        self.prior = nn.Linear(c['nhidlast'], c['experts'], bias=False)
        self.latent = nn.Linear(c['nhidlast'], c['experts'] * c['emsize'])
        self.decoder = nn.Linear(c['emsize'], VOCAB)
        self.decoder.weight = self.encoder.weight  # tied

    def forward(self, x, y, hidden):
        c = self.c
        # Embedding dropout: whole words dropped.
        mask = self.encoder.weight.new_empty(VOCAB, 1).bernoulli_(1 - c['dropoute']) / (1 - c['dropoute'])
        h = F.embedding(x, self.encoder.weight * mask)
        h = locked_dropout(h, c['dropouti'], True)
        new_hidden, outs = [], []
        for i, rnn in enumerate(self.rnns):
            rnn._parameters['weight_hh_l0'] = F.dropout(self.raw_whh[i], p=c['wdrop'], training=True)
            rnn.flatten_parameters = lambda: None
            h, hc = rnn(h, hidden[i])
            new_hidden.append(hc)
            if i < len(self.rnns) - 1:
                h = locked_dropout(h, c['dropouth'], True)
            outs.append(h)
        raw_last = h
        out = locked_dropout(h, c['dropout'], True)
        T, B, _ = out.shape
        latent = locked_dropout(torch.tanh(self.latent(out)).view(T, B * c['experts'], c['emsize']), c['dropoutl'], True)
        logits = self.decoder(latent.view(-1, c['emsize']))
        prior = F.softmax(self.prior(out).view(-1, c['experts']), -1)
        prob = (F.softmax(logits, -1).view(-1, c['experts'], VOCAB) * prior.unsqueeze(2)).sum(1)
        loss = F.nll_loss(torch.log(prob.add_(1e-8)), y.view(-1))
        loss = loss + c['alpha'] * out.pow(2).mean() + c['beta'] * (raw_last[1:] - raw_last[:-1]).pow(2).mean()
        return loss, new_hidden


def embedded_dropout(weight, x, p):
    """Word-level embedding dropout (AWD): whole rows of the embedding matrix dropped, rescaled."""
    mask = weight.new_empty(weight.size(0), 1).bernoulli_(1 - p) / (1 - p)
    return F.embedding(x, weight * mask)


class Rhn(nn.Module):
    """The official Selfish-RNN RHN (--tied --couple): one layer of depth D, block 0 with an input
    matrix W, every block a recurrent R; a variational hidden-dropout mask per sequence shared by
    every step and depth; embedding word dropout, locked input and output dropout, a tied decoder.
    A Python loop over steps and depths, as the official code (PyTorch has no fused RHN)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        H = c['nhid']
        self.encoder = nn.Embedding(VOCAB, c['emsize'])
        self.W = nn.Linear(c['emsize'], 2 * H)
        self.R = nn.ModuleList([nn.Linear(H, 2 * H) for _ in range(c['depth'])])
        self.decoder = nn.Linear(H, VOCAB)
        self.decoder.weight = self.encoder.weight  # tied

    def forward(self, x, y, s):
        c, H = self.c, self.c['nhid']
        emb = locked_dropout(embedded_dropout(self.encoder.weight, x, c['dropoute']), c['dropouti'], True)
        m = s.new_empty(s.shape).bernoulli_(1 - c['dropouth']) / (1 - c['dropouth'])
        wx = self.W(emb)  # the input projection of every step at once
        outs = []
        for t in range(x.size(0)):
            for l, R in enumerate(self.R):
                a = R(s * m) + (wx[t] if l == 0 else 0)
                h, g = torch.tanh(a[:, :H]), torch.sigmoid(a[:, H:])
                s = h * g + s * (1 - g)
            outs.append(s)
        out = locked_dropout(torch.stack(outs), c['dropout'], True)
        return F.cross_entropy(self.decoder(out).view(-1, VOCAB), y.view(-1)), s


def cumsoftmax(x):
    return torch.cumsum(F.softmax(x, dim=-1), dim=-1)


class OnLstmCell(nn.Module):
    """One ON-LSTM cell (Shen et al. 2019, the Ordered-Neurons code): master input/forget gates by
    cumulative softmax over H/chunk chunks; the hh weight under unscaled DropConnect (a 0/1 mask
    drawn per batch), as its LinearDropConnect."""

    def __init__(self, ninp, nhid, chunk, wdrop):
        super().__init__()
        self.nhid, self.chunk, self.nchunk, self.wdrop = nhid, chunk, nhid // chunk, wdrop
        self.ih = nn.Linear(ninp, 4 * nhid + 2 * self.nchunk)
        self.hh = nn.Linear(nhid, 4 * nhid + 2 * self.nchunk)

    def sample_mask(self):
        keep = self.hh.weight.new_empty(self.hh.weight.shape).bernoulli_(1 - self.wdrop)
        self.hh_weight = self.hh.weight * keep

    def forward(self, wx, hidden):
        hx, cx = hidden
        gates = wx + F.linear(hx, self.hh_weight, self.hh.bias)
        ci, cf = gates[:, :2 * self.nchunk].chunk(2, 1)
        o, g, i, f = gates[:, 2 * self.nchunk:].view(-1, 4 * self.nchunk, self.chunk).chunk(4, 1)
        ci = (1 - cumsoftmax(ci))[:, :, None]
        cf = cumsoftmax(cf)[:, :, None]
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        w = cf * ci
        f = f * w + (cf - w)
        i = i * w + (ci - w)
        cy = f * cx + i * g
        hy = o * torch.tanh(cy)
        return hy.view(-1, self.nhid), cy


class OnLstm(nn.Module):
    """The Ordered-Neurons language model: 3 ON-LSTM layers 400 → 1150 → 1150 → 400 (chunk 10),
    embedding dropout, locked dropouts, a tied decoder with a full softmax, AR/TAR."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        sizes = [c['emsize']] + [c['nhid']] * (c['nlayers'] - 1) + [c['emsize']]
        self.encoder = nn.Embedding(VOCAB, c['emsize'])
        self.cells = nn.ModuleList([OnLstmCell(sizes[k], sizes[k + 1], c['chunk'], c['wdrop']) for k in range(c['nlayers'])])
        self.decoder = nn.Linear(c['emsize'], VOCAB)
        self.decoder.weight = self.encoder.weight  # tied

    def forward(self, x, y, hidden):
        c = self.c
        h = locked_dropout(embedded_dropout(self.encoder.weight, x, c['dropoute']), c['dropouti'], True)
        new_hidden = []
        for k, cell in enumerate(self.cells):
            cell.sample_mask()
            wx = cell.ih(h)  # the input projection of every step at once
            state, outs = hidden[k], []
            for t in range(x.size(0)):
                hy, cy = cell(wx[t], state)
                state = (hy, cy)
                outs.append(hy)
            new_hidden.append(state)
            h = torch.stack(outs)
            raw_last = h
            if k < len(self.cells) - 1:
                h = locked_dropout(h, c['dropouth'], True)
        out = locked_dropout(h, c['dropout'], True)
        loss = F.cross_entropy(self.decoder(out).view(-1, VOCAB), y.view(-1))
        loss = loss + c['alpha'] * out.pow(2).mean() + c['beta'] * (raw_last[1:] - raw_last[:-1]).pow(2).mean()
        return loss, new_hidden


def make(name):
    c = CONFIGS[name]
    model = {'stacked': Stacked, 'awd-mos': AwdMos, 'rhn': Rhn, 'onlstm': OnLstm}[c['kind']](c)
    model.train()
    B, T = c['batch'], c['bptt']
    if c['kind'] == 'stacked':
        hidden = (torch.zeros(c['nlayers'], B, c['nhid']), torch.zeros(c['nlayers'], B, c['nhid']))
    elif c['kind'] == 'rhn':
        hidden = torch.zeros(B, c['nhid'])
    elif c['kind'] == 'onlstm':
        sizes = [c['nhid']] * (c['nlayers'] - 1) + [c['emsize']]
        hidden = [(torch.zeros(B, s), torch.zeros(B, s // c['chunk'], c['chunk'])) for s in sizes]
    else:
        sizes = [c['nhid']] * (c['nlayers'] - 1) + [c['nhidlast']]
        hidden = [(torch.zeros(1, B, s), torch.zeros(1, B, s)) for s in sizes]
    return model, hidden, B, T


def detach(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    if isinstance(h, tuple):
        return tuple(x.detach() for x in h)
    return [detach(x) for x in h]


def bench(name, steps, warmup):
    torch.manual_seed(1)
    model, hidden, B, T = make(name)
    # The leaf parameters, listed before a forward puts the weight-dropped W_hh (a non-leaf) into
    # the LSTM modules' parameter slots.
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=1.0, weight_decay=1.2e-6)
    x = torch.randint(0, VOCAB, (T, B))
    y = torch.randint(0, VOCAB, (T, B))
    times = []
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        hidden = detach(hidden)
        opt.zero_grad()
        loss, hidden = model(x, y, hidden)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 0.25)
        opt.step()
        if s >= warmup:
            times.append(time.perf_counter() - t0)
    mean = sum(times) / len(times)
    return T * B / mean, T * B / min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--models', default='zaremba-small,zaremba-medium,awd-lstm-mos-ptb')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    blas = os.environ.get('LD_LIBRARY_PATH', '')
    if 'openblas-openmp' not in blas:
        print('warning: LD_LIBRARY_PATH does not select libopenblas0-openmp; the pthread OpenBLAS fights torch\'s OpenMP threads')
    results = {}
    for name in a.models.split(','):
        mean, best = bench(name, a.steps, a.warmup)
        results[name] = {'1': round(mean)}
        print(f'{name}: {mean:,.0f} tokens/s (mean of {a.steps} steps; best {best:,.0f}), dense, torch {torch.__version__}, {a.threads} threads')
    # The process's peak resident set (Linux: kB): one model per process makes it that model's.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'suite': 'pytorch', 'threads': a.threads, 'torch': torch.__version__, 'tokens_per_s': results,
                      'peak_rss_mib': round(peak)}))


if __name__ == '__main__':
    main()
