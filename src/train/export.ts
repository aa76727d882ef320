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
import { encodeSafetensors, type SafetensorsTensor } from '../io/safetensors.js';
import { getCSR } from '../io/checkpoint-format.js';
import { modelFamily } from '../models/index.js';
import type { LMCheckpoint } from './checkpoint.js';

export interface ExportOptions {
  /** Also write `<name>.mask` for sparse weights (default true). */
  masks?: boolean;
}

/** The tensors of the export, by name (see the header). */
export function checkpointToStateDict(ckpt: LMCheckpoint, opts: ExportOptions = {}): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [name, layout] of Object.entries(ckpt.meta.weights)) {
    if (layout.layout === 'csr') {
      const a = getCSR(ckpt.tensors, `model/${name}`, layout);
      const dense = new Float32Array(a.rows * a.cols);
      const mask = new Uint8Array(a.rows * a.cols);
      for (let i = 0; i < a.rows; i++) {
        for (let s = a.rowPtr[i]!; s < a.rowPtr[i + 1]!; s++) {
          dense[i * a.cols + a.colIdx[s]!] = a.values[s]!;
          mask[i * a.cols + a.colIdx[s]!] = 1;
        }
      }
      out[name] = { dtype: 'F32', shape: [a.rows, a.cols], data: dense };
      if (opts.masks ?? true) out[`${name}.mask`] = { dtype: 'BOOL', shape: [a.rows, a.cols], data: mask };
    } else {
      const t = ckpt.tensors[`model/${name}`]!;
      out[name] = { dtype: 'F32', shape: [...layout.shape], data: t.data as Float32Array };
    }
  }
  // A tied weight is listed under both of its PyTorch names (the family's exportAliases).
  const cfg = ckpt.meta.config.lm;
  for (const [alias, source] of modelFamily(cfg.kind).exportAliases?.(cfg as never) ?? []) {
    if (out[source] === undefined || out[alias] !== undefined) continue;
    out[alias] = { ...out[source], data: out[source].data.slice() };
    const mask = out[`${source}.mask`];
    if (mask !== undefined) out[`${alias}.mask`] = { ...mask, data: mask.data.slice() };
  }
  return out;
}

/** The bytes of a .safetensors file holding the checkpoint's model (see the header). */
export function exportSafetensors(ckpt: LMCheckpoint, opts: ExportOptions = {}): Uint8Array {
  const m = ckpt.meta;
  return encodeSafetensors(checkpointToStateDict(ckpt, opts), {
    format: 'pt',
    'selfish-rnn.kind': m.kind,
    'selfish-rnn.weights': m.weights_kind,
    'selfish-rnn.config': JSON.stringify(m.config),
    'selfish-rnn.vocab': JSON.stringify(m.vocab.words),
  }, { checksum: true });
}
