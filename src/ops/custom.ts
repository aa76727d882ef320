// defineOp: an op of your own, with its own backward, on the same tape as the built-in ops (the
// contract is in ./README.md). The forward and the backward run under noGrad inside a `tidy`, so
// their temporaries are freed when they return; what the forward saves for the backward is owned
// by the tape (freed with the node). Several outputs are recorded through one packed node, so the
// backward runs once with the gradients of all of them.
import { kernels } from '../backend/wasm.js';
import { isGradEnabled, noGrad, record } from '../autograd/engine.js';
import { Tensor, keep, nextTensorId, shapeString, tidy } from '../tensor.js';
import { registerOp } from './registry.js';

/** What the forward hands to the backward of one call. */
export interface OpContext {
  /**
   * Keeps tensors for the backward, in order (read back as `saved`). Inputs and outputs are kept by
   * reference; a tensor the forward made is owned by the tape from here on (freed with the graph).
   */
  save(...tensors: Tensor[]): void;
  /** The saved tensors, in the order they were saved. */
  readonly saved: readonly Tensor[];
  /** Whether argument i is a tensor that needs a gradient (lets the backward skip work). */
  needsGrad(i: number): boolean;
  /** Non-tensor values for the backward (shapes, flags, constants). */
  readonly meta: Record<string, unknown>;
}

/** A gradient per argument of the op: a Tensor of the argument's shape, or null/undefined for none. */
export type ArgGradients = readonly (Tensor | null | undefined)[];

export interface OpDefinition<A extends unknown[], R extends Tensor | readonly Tensor[]> {
  /** Name in the op registry and in error messages; must be new. */
  name: string;
  /** Where it is defined, for the op table (default 'defineOp'). */
  file?: string;
  /**
   * Computes the output(s) from the arguments (tensors and any other values). Runs under noGrad:
   * the ops it calls are not recorded. Must not modify its inputs.
   */
  forward(ctx: OpContext, ...args: A): R;
  /**
   * Given d(loss)/d(output) (one gradient per output, in order), returns d(loss)/d(argument) for
   * every argument (null or missing for non-tensors and for arguments that need none; a single
   * Tensor for a one-argument op). Must not modify its gradients, the saved tensors or the inputs.
   */
  backward(ctx: OpContext, ...grads: Tensor[]): ArgGradients | Tensor | null;
}

const FIELDS = ['name', 'file', 'forward', 'backward'];

/**
 * Defines a differentiable op with a hand-written backward and registers it in the op registry.
 * Returns the op: call it like any other; it records one node on the tape when an argument needs
 * a gradient. Prove its backward with `gradcheck`.
 */
export function defineOp<A extends unknown[], R extends Tensor | readonly Tensor[]>(def: OpDefinition<A, R>): (...args: A) => R {
  if (def === null || typeof def !== 'object') throw new TypeError(`selfish-rnn: defineOp expects { name, forward, backward }, got ${def === null ? 'null' : typeof def}`);
  const unknown = Object.keys(def).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw new TypeError(`selfish-rnn: defineOp: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (fields: ${FIELDS.join(', ')})`);
  const { name } = def;
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('selfish-rnn: defineOp: name must be a non-empty string');
  for (const f of ['forward', 'backward'] as const) {
    if (typeof def[f] !== 'function') throw new TypeError(`selfish-rnn: defineOp '${name}': ${f} must be a function`);
  }
  registerOp(name, def.file ?? 'defineOp');

  const op = (...args: A): R => {
    args.forEach((a) => {
      if (a instanceof Tensor) a.assertLive();
    });
    const inputs = args.filter((a): a is Tensor => a instanceof Tensor);
    const inputIndex = args.map((a) => (a instanceof Tensor ? inputs.indexOf(a) : -1));
    const grad = isGradEnabled();
    const saved: Tensor[] = [];
    const ctx: OpContext = {
      save(...ts: Tensor[]) {
        ts.forEach((t, k) => {
          if (!(t instanceof Tensor)) throw new TypeError(`selfish-rnn: ${name}: ctx.save argument ${k} is not a Tensor (keep other values in ctx.meta)`);
          t.assertLive();
        });
        saved.push(...ts);
      },
      get saved() {
        return saved;
      },
      needsGrad: (i: number) => grad && args[i] instanceof Tensor && (args[i] as Tensor).requiresGrad,
      meta: {},
    };

    // Forward: temporaries are freed on return; outputs and saved tensors are kept.
    const firstId = nextTensorId();
    const { result } = noGrad(() =>
      tidy(() => {
        const r = def.forward(ctx, ...args) as unknown;
        if (r instanceof Promise) throw new TypeError(`selfish-rnn: ${name}: forward must return its output(s), not a Promise (ops are synchronous)`);
        const list = Array.isArray(r) ? r : [r];
        if (list.length === 0) throw new TypeError(`selfish-rnn: ${name}: forward returned no output`);
        // An input (or any tensor from outside) returned as an output is copied: outputs get a node of their own.
        const outs = list.map((o, k) => {
          if (!(o instanceof Tensor)) throw new TypeError(`selfish-rnn: ${name}: forward output ${k} is not a Tensor (got ${typeof o})`);
          o.assertLive();
          return o.id >= firstId && o.node === null ? o : o.detach();
        });
        for (const t of saved) {
          if (t.id < firstId && !inputs.includes(t)) {
            throw new Error(`selfish-rnn: ${name}: ctx.save got a tensor ${shapeString(t.shape)} that is neither an argument nor made by the forward; pass it as an argument`);
          }
        }
        return { result: { outs, single: !Array.isArray(r) }, saved: [...saved] };
      }),
    );
    const { outs, single } = result;
    // Saved tensors the forward made (not the outputs) belong to the tape.
    const owned = [...new Set(saved.filter((t) => t.id >= firstId && !outs.includes(t)))];

    const runBackward = (grads: Tensor[], gIns: readonly (Tensor | null)[]): void => {
      noGrad(() =>
        tidy(() => {
          const r = def.backward(ctx, ...grads) as unknown;
          const list: unknown[] = Array.isArray(r) ? r : [r];
          if (!Array.isArray(r) && args.length !== 1 && r !== null && r !== undefined) {
            throw new TypeError(`selfish-rnn: ${name}: backward must return an array with one gradient per argument (${args.length} arguments)`);
          }
          if (list.length > args.length) throw new RangeError(`selfish-rnn: ${name}: backward returned ${list.length} gradients for ${args.length} arguments`);
          list.forEach((gr, i) => {
            if (gr === null || gr === undefined) return;
            const x = args[i];
            if (!(gr instanceof Tensor)) throw new TypeError(`selfish-rnn: ${name}: backward gradient ${i} is not a Tensor (got ${typeof gr})`);
            if (!(x instanceof Tensor)) throw new TypeError(`selfish-rnn: ${name}: backward returned a gradient for argument ${i}, which is not a tensor`);
            if (gr.size !== x.size) {
              throw new RangeError(`selfish-rnn: ${name}: backward gradient ${i} has shape ${shapeString(gr.shape)}, argument ${i} has shape ${shapeString(x.shape)}`);
            }
            const gIn = gIns[inputIndex[i]!];
            if (gIn) kernels.axpy(gIn.ptr, gr.ptr, 1, gr.size);
          });
        }), // frees what the backward made, its returned gradients included
      );
    };

    if (outs.length === 1) {
      record(outs[0]!, name, inputs, (g, gIns) => runBackward([g], gIns), owned);
      return (single ? outs[0] : outs) as unknown as R;
    }

    // Several outputs: a packed node carries the op; each output passes its gradient into it.
    const offsets: number[] = [];
    const total = outs.reduce((at, o) => (offsets.push(at), at + o.size), 0);
    const packed = new Tensor([total], { persistent: true });
    kernels.fill(packed.ptr, 0, total);
    record(packed, name, inputs, (g, gIns) => {
      const grads = outs.map((o, k) => {
        const gk = new Tensor(o.shape, { persistent: true });
        kernels.scale(gk.ptr, g.ptr + offsets[k]! * 4, 1, o.size); // a copy of its part
        return gk;
      });
      try {
        runBackward(grads, gIns);
      } finally {
        for (const gk of grads) gk.dispose();
      }
    }, owned);
    if (!packed.requiresGrad) {
      packed.dispose();
      return outs as unknown as R;
    }
    // The packed tensor lives until the last output's node is released (release hooks run after a
    // backward pass, so the packed node has run by then if the pass reached it).
    let live = outs.length;
    const release = () => {
      if (--live === 0) packed.dispose();
    };
    outs.forEach((o, k) => {
      record(o, `${name}[${k}]`, [packed], (g, [gp]) => {
        if (gp) kernels.axpy(gp.ptr + offsets[k]! * 4, g.ptr, 1, g.size);
      }, [], release);
    });
    keep(packed);
    return outs as unknown as R;
  };
  Object.defineProperty(op, 'name', { value: name });
  return op;
}
