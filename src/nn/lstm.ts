// LSTM module: `numLayers` fused LSTM layers (src/ops/lstm.ts) with PyTorch's parameter names
// (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}), layout [4H, ·] with gate order
// i, f, g, o, and initialisation U(±1/√H). Any weight matrix may be dense or sparse (CSR).
import { kernels } from '../backend/wasm.js';
import { lstmLayer, type LstmState } from '../ops/lstm.js';
import { StepWeight } from '../ops/step-weight.js';
import { globalRandom, type Random } from '../random.js';
import { Tensor, shapeString } from '../tensor.js';
import { uniformParam } from './init.js';
import { Module, type Weight } from './module.js';
import type { DroppedValues } from './dropout.js';
import { asRecurrent } from './sparse-weight.js';

export interface LSTMForwardOptions {
  /** Applied to each layer's output before it feeds the next layer (e.g. dropout). */
  betweenLayers?: (y: Tensor, layer: number) => Tensor;
  /** Applied to W_hh before each forward (e.g. DropConnect, `weightDrop`); returns the weight's values to use. */
  recurrentValues?: (values: Tensor, layer: number) => Tensor | DroppedValues;
}

export interface LSTMOutput {
  /** Last layer's output [T, B, H]. */
  output: Tensor;
  /** Raw (pre-`betweenLayers`) output of every layer. */
  layerOutputs: Tensor[];
  /** Final state per layer (detached, for carrying across batches). */
  state: LstmState[];
}

export class LSTM extends Module {
  readonly hiddenSizes: number[];

  /**
   * @param inputSize features of x
   * @param hiddenSize hidden size of every layer, or one size per layer (AWD's last layer differs)
   */
  constructor(readonly inputSize: number, hiddenSize: number | number[], readonly numLayers = 1, opts: { rng?: Random } = {}) {
    super();
    this.hiddenSizes = Array.isArray(hiddenSize) ? hiddenSize : Array(numLayers).fill(hiddenSize);
    if (this.hiddenSizes.length !== numLayers) throw new RangeError(`selfish-rnn: LSTM: ${this.hiddenSizes.length} hidden sizes for ${numLayers} layers`);
    const rng = opts.rng ?? globalRandom;
    for (let k = 0; k < numLayers; k++) {
      const H = this.hiddenSizes[k]!, I = k === 0 ? inputSize : this.hiddenSizes[k - 1]!;
      const bound = 1 / Math.sqrt(H);
      this.registerWeight(`weight_ih_l${k}`, uniformParam([4 * H, I], bound, rng));
      this.registerWeight(`weight_hh_l${k}`, uniformParam([4 * H, H], bound, rng));
      this.registerWeight(`bias_ih_l${k}`, uniformParam([4 * H], bound, rng));
      this.registerWeight(`bias_hh_l${k}`, uniformParam([4 * H], bound, rng));
    }
  }

  weightIh(k: number): Weight {
    return this.getWeight(`weight_ih_l${k}`);
  }

  weightHh(k: number): Weight {
    return this.getWeight(`weight_hh_l${k}`);
  }

  /** x [T, B, I] → output [T, B, H_last]; state defaults to zeros. */
  forward(x: Tensor, state?: LstmState[], opts: LSTMForwardOptions = {}): LSTMOutput {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) {
      throw new RangeError(`selfish-rnn: LSTM expects input [T, B, ${this.inputSize}], got ${shapeString(x.shape)}`);
    }
    if (state !== undefined && state.length !== this.numLayers) {
      throw new RangeError(`selfish-rnn: LSTM: ${state.length} states given for ${this.numLayers} layers`);
    }
    const layerOutputs: Tensor[] = [];
    const finals: LstmState[] = [];
    let input = x;
    for (let k = 0; k < this.numLayers; k++) {
      const wHh = this.weightHh(k);
      const r = lstmLayer(
        input,
        {
          wIh: asRecurrent(this.weightIh(k)),
          wHh: asRecurrent(wHh, opts.recurrentValues ? (v) => opts.recurrentValues!(v, k) : undefined),
          bIh: this.getWeight(`bias_ih_l${k}`) as Tensor,
          bHh: this.getWeight(`bias_hh_l${k}`) as Tensor,
        },
        state?.[k],
      );
      layerOutputs.push(r.output);
      finals.push({ h: r.h, c: r.c });
      input = k < this.numLayers - 1 && opts.betweenLayers ? opts.betweenLayers(r.output, k) : r.output;
    }
    return { output: layerOutputs[layerOutputs.length - 1]!, layerOutputs, state: finals };
  }
}

/**
 * The layers of an LSTM run one step at a time, for inference (src/models/stepper.ts): no tape,
 * every buffer allocated once. State and activations are feature-major [H × B] (B = batch), the
 * layout of the step products (src/ops/step-weight.ts) and of the gate kernel. Dropout is off,
 * as in evaluation. The weights are read live at every step.
 */
export class LSTMStep {
  private readonly layers: {
    wIh: StepWeight; wHh: StepWeight; bIh: Tensor; bHh: Tensor; H: number;
    bias: Tensor; pre: Tensor; rec: Tensor; h: Tensor; c: Tensor; cNext: Tensor; tc: Tensor; y: Tensor;
  }[] = [];

  constructor(lstm: LSTM, readonly batch: number) {
    const B = batch;
    for (let k = 0; k < lstm.numLayers; k++) {
      const H = lstm.hiddenSizes[k]!;
      const buf = (rows: number) => new Tensor([rows, B], { persistent: true });
      const w = (name: string) => lstm.getWeight(name);
      this.layers.push({
        wIh: new StepWeight(w(`weight_ih_l${k}`)), wHh: new StepWeight(w(`weight_hh_l${k}`)),
        bIh: w(`bias_ih_l${k}`) as Tensor, bHh: w(`bias_hh_l${k}`) as Tensor, H,
        bias: new Tensor([4 * H], { persistent: true }), pre: buf(4 * H), rec: buf(4 * H),
        h: buf(H), c: buf(H), cNext: buf(H), tc: buf(H), y: buf(H),
      });
    }
    this.reset();
  }

  /** One step: x [inputSize × B] at byte offset x; returns the byte offset of the last layer's output [H × B]. */
  step(x: number): number {
    const B = this.batch;
    for (const L of this.layers) {
      L.wIh.forward(L.pre.ptr, x, B);
      L.wHh.forward(L.rec.ptr, L.h.ptr, B);
      kernels.add(L.bias.ptr, L.bIh.ptr, L.bHh.ptr, 4 * L.H);
      kernels.lstm_gates_forward(L.pre.ptr, L.rec.ptr, L.bias.ptr, L.c.ptr, L.cNext.ptr, L.tc.ptr, L.h.ptr, L.y.ptr, L.H, B, B);
      const c = L.c;
      L.c = L.cNext;
      L.cNext = c;
      x = L.y.ptr;
    }
    return x;
  }

  /** Zero state. */
  reset(): void {
    for (const L of this.layers) {
      kernels.fill(L.h.ptr, 0, L.h.size);
      kernels.fill(L.c.ptr, 0, L.c.size);
    }
  }

  /** Bytes of weights (and CSR indices) one step streams. */
  get bytesPerStep(): number {
    return this.layers.reduce((s, L) => s + L.wIh.bytesPerProduct + L.wHh.bytesPerProduct, 0);
  }

  dispose(): void {
    for (const L of this.layers) for (const t of [L.bias, L.pre, L.rec, L.h, L.c, L.cNext, L.tc, L.y]) t.dispose();
    this.layers.length = 0;
  }
}
