// Export of a language-model checkpoint to safetensors, for PyTorch and friends.
//
// Names are the PyTorch state_dict names of the reference models (encoder.weight,
// rnn.weight_ih_l0, …, decoder.weight, decoder.bias; AWD-LSTM-MoS: rnns.{l}.weight_hh_l0, prior.weight,
// latent.0.weight, …; RHN: embedding.weight, rnns.0.highways.{l}.W / R.weight / .bias, fc1.*;
// ON-LSTM: encoder.weight, rnn.cells.{k}.ih.0.* / hh.*, decoder.*). Every weight is a dense F32 tensor (a sparse weight expanded, zeros where no
// weight exists); each sparse weight also gets `<name>.mask`, a BOOL tensor of the same shape (1
// where a weight exists), which is what the official code's masks are. A tied decoder is written
// under its second name too (decoder.weight, or the RHN's fc1.weight: the family's exportAliases),
// as torch.save of a tied model lists both.
// Metadata: the run configuration and the vocabulary as JSON strings, and a checksum of names,
// metadata and data that decodeSafetensors verifies (see src/io/safetensors.ts).
import { encodeSafetensors, type SafetensorsTensor } from '../../io/safetensors.js';
import { getCSR, type CSRArrays } from '../../io/checkpoint-format.js';
import { isSparse, type Module } from '../../nn/module.js';
import { modelFamily } from '../../models/index.js';
import type { LMCheckpoint } from './checkpoint.js';

export interface ExportOptions {
  /** Also write `<name>.mask` for sparse weights (default true). */
  masks?: boolean;
}

/** A weight as the export reads it: dense values with a shape, or CSR arrays. */
type ExportWeight = { shape: readonly number[]; data: Float32Array } | CSRArrays;

/**
 * The safetensors tensors of named weights: dense F32 (a sparse weight expanded, with its BOOL
 * `.mask` unless `masks` is false), and every [alias, source] pair's alias as a copy of its source.
 */
function stateDictOf(weights: Iterable<[string, ExportWeight]>, aliases: readonly (readonly [string, string])[], opts: ExportOptions): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [name, w] of weights) {
    if ('rowPtr' in w) {
      const dense = new Float32Array(w.rows * w.cols);
      const mask = new Uint8Array(w.rows * w.cols);
      for (let i = 0; i < w.rows; i++) {
        for (let s = w.rowPtr[i]!; s < w.rowPtr[i + 1]!; s++) {
          dense[i * w.cols + w.colIdx[s]!] = w.values[s]!;
          mask[i * w.cols + w.colIdx[s]!] = 1;
        }
      }
      out[name] = { dtype: 'F32', shape: [w.rows, w.cols], data: dense };
      if (opts.masks ?? true) out[`${name}.mask`] = { dtype: 'BOOL', shape: [w.rows, w.cols], data: mask };
    } else {
      out[name] = { dtype: 'F32', shape: [...w.shape], data: w.data };
    }
  }
  // A tied weight is listed under both of its PyTorch names.
  for (const [alias, source] of aliases) {
    if (out[source] === undefined || out[alias] !== undefined) continue;
    out[alias] = { ...out[source], data: out[source].data.slice() };
    const mask = out[`${source}.mask`];
    if (mask !== undefined) out[`${alias}.mask`] = { ...mask, data: mask.data.slice() };
  }
  return out;
}

/** The tensors of a checkpoint's export, by name (see the header). */
export function checkpointToStateDict(ckpt: LMCheckpoint, opts: ExportOptions = {}): Record<string, SafetensorsTensor> {
  const weights = Object.entries(ckpt.meta.weights).map(([name, layout]): [string, ExportWeight] => (layout.layout === 'csr'
    ? [name, getCSR(ckpt.tensors, `model/${name}`, layout)]
    : [name, { shape: layout.shape, data: ckpt.tensors[`model/${name}`]!.data as Float32Array }]));
  const cfg = ckpt.meta.config.lm;
  return stateDictOf(weights, modelFamily(cfg.kind).exportAliases?.(cfg as never) ?? [], opts);
}

/** The tensors of any module's export: its weights by their names (PyTorch's, for a module tree built like PyTorch's). */
export function moduleToStateDict(model: Module, opts: ExportOptions & { aliases?: readonly (readonly [string, string])[] } = {}): Record<string, SafetensorsTensor> {
  const weights = model.namedWeights().map(([name, w]): [string, ExportWeight] => (isSparse(w)
    ? [name, { rows: w.rows, cols: w.cols, rowPtr: w.rowPtr.data.slice(), colIdx: w.colIdx.toInt32Array(), values: w.values.toArray() }]
    : [name, { shape: w.shape, data: w.toArray() }]));
  return stateDictOf(weights, opts.aliases ?? [], opts);
}

/** A .safetensors file of any module (weights, `.mask` for sparse ones, aliases; string metadata of yours). */
export function exportSafetensors(model: Module, opts: ExportOptions & { aliases?: readonly (readonly [string, string])[]; metadata?: Record<string, string> } = {}): Uint8Array {
  return encodeSafetensors(moduleToStateDict(model, opts), { format: 'pt', ...opts.metadata }, { checksum: true });
}

/** The bytes of a .safetensors file holding the checkpoint's model (see the header). */
export function exportCheckpoint(ckpt: LMCheckpoint, opts: ExportOptions = {}): Uint8Array {
  const m = ckpt.meta;
  return encodeSafetensors(checkpointToStateDict(ckpt, opts), {
    format: 'pt',
    'selfish-rnn.kind': m.kind,
    'selfish-rnn.weights': m.weights_kind,
    'selfish-rnn.config': JSON.stringify(m.config),
    'selfish-rnn.vocab': JSON.stringify(m.vocab.words),
  }, { checksum: true });
}
