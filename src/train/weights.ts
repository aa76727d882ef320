// Model weights by their dotted PyTorch names: replacing a slot, summarising densities (per
// tensor and per LSTM gate), the sparse values an optimizer must treat per weight.
import { Module, isSparse, type Weight } from '../nn/module.js';
import { CSRMatrix } from '../sparse/csr.js';
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

/** Gate densities pooled over all LSTM matrices: [i, f, g, o]. */
export function pooledGateDensity(allStats: readonly GateStats[]): [number, number, number, number] | null {
  const stats = allStats.filter((s) => s.gates.join() === 'i,f,g,o');
  if (stats.length === 0) return null;
  const nnz = [0, 0, 0, 0], size = [0, 0, 0, 0];
  for (const s of stats) {
    for (let g = 0; g < 4; g++) {
      nnz[g] += s.nnz[g]!;
      size[g] += s.density[g]! > 0 ? s.nnz[g]! / s.density[g]! : 0;
    }
  }
  return nnz.map((n, g) => (size[g] === 0 ? 0 : n / size[g]!)) as [number, number, number, number];
}
