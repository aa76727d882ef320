// Field declarations several built-in families share (same name, range and meaning), so that each
// is written once; a family picks the ones it has. A user's family may use them too.
import { field } from '../config/fields.js';

/** Largest model width a configuration may name (any model this large is refused by the memory estimate). */
export const MAX_WIDTH = 2 ** 24;

const width = (help: string, dflt: number) => field.int({ min: 1, max: MAX_WIDTH, default: dflt, help });
const rate = (help: string) => field.number({ min: 0, max: 1, openMax: true, default: 0, help });

export const commonFields = {
  emsize: width('embedding size', 200),
  nhid: width('hidden units per recurrent layer', 200),
  nlayers: field.int({ min: 1, max: 1024, default: 2, help: 'recurrent layers' }),
  dropout: rate('dropout on the output (stacked LSTM: also on the embeddings and between layers)'),
  dropouth: rate('locked dropout between recurrent layers (RHN: on the hidden state)'),
  dropouti: rate('locked dropout on the embeddings'),
  dropoute: rate('word-level embedding dropout'),
  wdrop: rate('DropConnect on the recurrent weights'),
  alpha: field.number({ min: 0, max: 1e6, default: 0, help: 'activation regularisation (AR) coefficient' }),
  beta: field.number({ min: 0, max: 1e6, default: 0, help: 'temporal activation regularisation (TAR) coefficient' }),
} as const;
