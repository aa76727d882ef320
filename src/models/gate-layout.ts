// Which rows of a weight matrix belong to which gate. Recurrent cells stack their gates' rows in
// one matrix (PyTorch's LSTM: i, f, g, o; the RHN: the H and T halves; the ON-LSTM: two master
// gates of H/chunk rows, then o, g, i, f). Sparse training prunes and grows over the whole matrix,
// so the gates compete for the budget; these layouts only let statistics show where it went.
import type { Module } from '../nn/module.js';

export interface GateBlock {
  readonly name: string;
  /** First row of the gate. */
  readonly start: number;
  /** One past its last row. */
  readonly end: number;
}

export type GateLayout = readonly GateBlock[];

/** Consecutive blocks of the given sizes, named in order. */
export function gateBlocks(blocks: readonly [name: string, rows: number][]): GateLayout {
  const out: GateBlock[] = [];
  let at = 0;
  for (const [name, rows] of blocks) {
    out.push({ name, start: at, end: at + rows });
    at += rows;
  }
  return out;
}

/** PyTorch's LSTM layout (i, f, g, o) of a 4H-row weight_ih / weight_hh, or null for other weights. */
export function lstmGateLayout(name: string, rows: number): GateLayout | null {
  if (!/(^|\.)weight_(ih|hh)(_l\d+)?$/.test(name) || rows % 4 !== 0 || rows === 0) return null;
  const H = rows / 4;
  return gateBlocks([['i', H], ['f', H], ['g', H], ['o', H]]);
}

/** A model that knows its gate layouts (every LanguageModel of this library). */
export interface GateLayoutSource {
  gateLayout(paramName: string, rows: number): GateLayout | null;
}

/**
 * The gate-layout function of a module: its own when it declares one; otherwise nothing is guessed
 * from parameter names, and every matrix reports as one block ('all').
 */
export function gateLayoutOf(module: Module): (paramName: string, rows: number) => GateLayout | null {
  const m = module as Module & Partial<GateLayoutSource>;
  return typeof m.gateLayout === 'function' ? (n, r) => m.gateLayout!(n, r) : (_n, r) => gateBlocks([['all', r]]);
}
