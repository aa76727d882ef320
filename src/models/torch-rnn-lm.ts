// What every language model shaped like PyTorch's word_language_model `RNNModel` shares (an
// Embedding `encoder`, one multi-layer torch.nn.LSTM or GRU `rnn` with weights
// rnn.weight_{ih,hh}_l{k} of `gates`·H rows, a Linear `decoder`): its sizes read off a state_dict
// and its weight shapes. The stacked LSTM (4 gate blocks) and the GRU (3) declare themselves with
// these; a family of that shape of yours can too.
import type { WeightShape } from './family.js';

/** The sizes such a model has, read off its state_dict's shapes; null when the names or the gate rows are not such a model's. */
export function rnnLMSizesFromStateDict(shapes: ReadonlyMap<string, readonly number[]>, gates: number): { vocab: number; emsize: number; nhid: number; nlayers: number } | null {
  const enc = shapes.get('encoder.weight'), hh = shapes.get('rnn.weight_hh_l0');
  if (!enc || !hh || !shapes.has('rnn.weight_ih_l0') || hh[0] !== gates * hh[1]!) return null;
  let nlayers = 0;
  while (shapes.has(`rnn.weight_ih_l${nlayers}`)) nlayers++;
  return { vocab: enc[0]!, emsize: enc[1]!, nhid: hh[1]!, nlayers };
}

/** The weight matrices of such a model (see WeightShape). */
export function rnnLMWeightShapes(c: { vocab: number; emsize: number; nhid: number; nlayers: number }, gates: number): WeightShape[] {
  const G = gates * c.nhid;
  return [
    { name: 'encoder.weight', rows: c.vocab, cols: c.emsize, role: 'embedding' },
    { name: 'rnn.weight_ih_l0', rows: G, cols: c.emsize, role: 'recurrent' },
    { name: 'rnn.weight_ih_l{k}', rows: G, cols: c.nhid, count: c.nlayers - 1, role: 'recurrent' },
    { name: 'rnn.weight_hh_l{k}', rows: G, cols: c.nhid, count: c.nlayers, role: 'recurrent' },
    { name: 'decoder.weight', rows: c.vocab, cols: c.nhid, role: 'output' },
  ];
}

/**
 * The training recipe of Zaremba et al. 2014 as the TensorFlow PTB tutorial runs it: plain SGD at
 * lr 1, constant for `decayAfter` epochs then × `lrDecay` per epoch, the global gradient norm
 * clipped at `clip`, dense. That code minimises the cross-entropy summed over the `bptt` steps
 * (averaged over the batch); ours is the mean per token, whose gradient is 1/bptt of it. So the
 * same updates are lr × bptt with the clip at clip / bptt (small: lr 20, clip 0.25, which is also
 * PyTorch word_language_model's default).
 */
export function zarembaRecipe(o: { epochs: number; decayAfter: number; lrDecay: number; clip: number; bptt: number }): Record<string, number | string> {
  return {
    method: 'dense', optimizer: 'sgd', lr: o.bptt, epochs: o.epochs, lrDecay: o.lrDecay, lrDecayAfter: o.decayAfter, clip: o.clip / o.bptt, wdecay: 0, bptt: o.bptt,
    evalBatchSize: 20, testBatchSize: 1,
  };
}
