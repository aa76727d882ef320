// Model weights by their dotted PyTorch names: replacing a slot, summarising densities (per
// tensor and per LSTM gate), the sparse values an optimizer must treat per weight.
import { Module, isSparse, type Weight } from '../nn/module.js';
import type { GateStats } from '../sparse/engine-api.js';
import { gateStatsAll } from '../sparse/gates.js';
import { gateLayoutOf } from '../models/gate-layout.js';
import type { Tensor } from '../tensor.js';

/** The module owning weight `name` and the slot's name in it ('rnn.weight_hh_l0' → rnn, 'weight_hh_l0'). */
export function weightSlot(model: Module, name: string): { owner: Module; slot: string } {
  const cut = name.lastIndexOf('.');
  const path = cut < 0 ? '' : name.slice(0, cut);
  const owner = path === '' ? model : model.namedModules().find(([n]) => n === path)?.[1];
  if (owner === undefined) throw new RangeError(`selfish-rnn: the model has no module '${path}' (for weight '${name}')`);
  return { owner, slot: name.slice(cut + 1) };
}

/** Puts `w` into the slot `name` and frees the weight it replaces (and its gradient). */
export function replaceWeight(model: Module, name: string, w: Weight): void {
  const { owner, slot } = weightSlot(model, name);
  const old = owner.setWeight(slot, w);
  if (old === w) return;
  (isSparse(old) ? old.values : old).grad?.dispose();
  old.dispose();
}

/** The values tensors of the model's sparse weights (SNT-ASGD keeps per-weight counters for them). */
export function sparseValues(model: Module): Tensor[] {
  return model.namedWeights().flatMap(([, w]) => (isSparse(w) ? [w.values] : []));
}

/** Which weights sparse training acts on: every one whose name does not contain "bias" (the official rule). */
export function isMaskable(name: string): boolean {
  return !name.includes('bias');
}

export interface WeightSummary {
  name: string;
  shape: number[];
  /** Existing weights (nonzeros of a sparse weight; every entry of a dense one). */
  nnz: number;
  size: number;
  density: number;
  sparse: boolean;
}

export function weightSummaries(model: Module): WeightSummary[] {
  return model.namedWeights().map(([name, w]) => {
    const shape = isSparse(w) ? [w.rows, w.cols] : [...w.shape];
    const size = shape.reduce((a, b) => a * b, 1);
    const nnz = isSparse(w) ? w.nnz : size;
    return { name, shape, nnz, size, density: size === 0 ? 0 : nnz / size, sparse: isSparse(w) };
  });
}

/** Density over the maskable weights (what --density refers to). */
export function maskedDensity(model: Module): number {
  let nnz = 0, size = 0;
  for (const s of weightSummaries(model)) if (isMaskable(s.name)) { nnz += s.nnz; size += s.size; }
  return size === 0 ? 1 : nnz / size;
}

/** Per-gate counts of every gated weight matrix, from the model itself (dense gates count fully). */
export function modelGateStats(model: Module): GateStats[] {
  return gateStatsAll(model.namedWeights(), gateLayoutOf(model));
}

/**
 * Gate densities pooled over every gated matrix, by gate name in layout order (LSTM: i, f, g, o;
 * RHN: H, T; ON-LSTM: master_i, master_f, o, g, i, f), or null when the model has no gates.
 */
export function pooledGateDensity(stats: readonly GateStats[]): Record<string, number> | null {
  if (stats.length === 0) return null;
  const nnz = new Map<string, number>(), size = new Map<string, number>();
  for (const s of stats) {
    s.gates.forEach((g, k) => {
      nnz.set(g, (nnz.get(g) ?? 0) + s.nnz[k]!);
      size.set(g, (size.get(g) ?? 0) + (s.density[k]! > 0 ? s.nnz[k]! / s.density[k]! : 0));
    });
  }
  return Object.fromEntries([...nnz].map(([g, n]) => [g, size.get(g)! === 0 ? 0 : n / size.get(g)!]));
}

/** Older checkpoints stored the pooled LSTM gate densities as an [i, f, g, o] array. */
export function gateRecord(g: Record<string, number> | readonly number[] | null | undefined): Record<string, number> | null {
  if (g === null || g === undefined) return null;
  if (Array.isArray(g)) return g.length === 4 ? { i: g[0]!, f: g[1]!, g: g[2]!, o: g[3]! } : null;
  return g as Record<string, number>;
}
