// Reverse-mode autodiff over a dynamically recorded graph (PyTorch semantics).
//
// An op that has inputs requiring grad attaches a GradNode to its output: the inputs and a
// backward function written next to the forward in the op's file. `backward(root)` visits the
// graph in reverse topological order; each node's backward *accumulates* into the gradient
// buffers of its inputs (llm.c style), so fan-out needs no extra additions. Leaves accumulate
// into their persistent `.grad` until zeroed; intermediate gradients are freed as soon as their
// node has run, and each node is released once its backward has run, unless `retainGraph`.
//
// PyTorch's rules, checked over the whole graph before any gradient is touched: a backward through
// a node an earlier backward released is refused (two losses sharing a subgraph need
// `retainGraph` on the first), as is one through an op whose input was disposed, or whose input's
// storage was replaced (a sparse topology update), after the forward.
//
// Saved tensors belong to the tape: an op hands the tensors its backward needs to `record`, which
// takes them out of every `tidy` scope and frees them when the node is released (its backward
// ran, or its output was disposed), or at once when nothing is recorded. So an op used outside
// `tidy`, or under `noGrad`, leaves nothing live behind.
import { kernels } from '../backend/wasm.js';
import { Tensor, installBackward, keep, shapeString, withDeferredReleases, type BackwardOptions, type GradNode } from '../tensor.js';
import { checkOptions } from '../config/options.js';

export type { GradNode, BackwardOptions } from '../tensor.js';

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording the graph (evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Called by every op after computing `out`: records the node if any input requires grad and
 * grad mode is on. Returns `out` for chaining. `saved` are tensors the op allocated for its
 * backward: the tape owns them from here on (freed with the node, or now if nothing is recorded).
 * `release` runs once when the node is released (or now if nothing is recorded).
 */
export function record(
  out: Tensor, op: string, inputs: readonly Tensor[], backward: GradNode['backward'], saved: readonly Tensor[] = [], release?: () => void,
): Tensor {
  let any = false;
  if (gradEnabled) for (const t of inputs) if (t.requiresGrad) any = true;
  if (!any) {
    for (const t of saved) t.dispose();
    release?.();
    return out;
  }
  for (const t of saved) keep(t);
  out.requiresGrad = true;
  const versions = inputs.map((t) => t.storageVersion);
  out.node = { op, inputs, backward, versions, ...(saved.length > 0 ? { saved } : {}), ...(release ? { release } : {}) };
  return out;
}

function describe(t: Tensor): string {
  return `${t.name ? `'${t.name}' ` : ''}${shapeString(t.shape)}`;
}

/** Refuses a backward that would read freed memory, write a wrong-sized gradient or stop short. */
function checkNode(t: Tensor): void {
  const node = t.node!;
  node.inputs.forEach((x, i) => {
    if (x.isDisposed) {
      throw new Error(`selfish-rnn: backward(): input ${i} ${describe(x)} of '${node.op}' was disposed after the forward; keep an op's inputs alive until backward() has run`);
    }
    if (node.versions !== undefined && node.versions[i] !== x.storageVersion) {
      throw new Error(`selfish-rnn: backward(): input ${i} ${describe(x)} of '${node.op}' had its storage replaced (a sparse topology update?) after the forward; run backward() before changing the weights`);
    }
    if (x.requiresGrad && x.node === null && x.freedOp !== null) throw freedError(x);
  });
  for (const s of node.saved ?? []) {
    if (s.isDisposed) throw new Error(`selfish-rnn: backward(): a tensor '${node.op}' saved for its backward was disposed; saved tensors belong to the tape`);
  }
}

function freedError(t: Tensor): Error {
  return new Error(
    `selfish-rnn: backward(): the graph through '${t.freedOp}' (output ${shapeString(t.shape)}) was already freed by an earlier backward(); ` +
      'pass { retainGraph: true } to the earlier backward() to backpropagate through it twice, or sum the losses and call backward() once',
  );
}

function zerosLike(t: Tensor, persistent: boolean): Tensor {
  const g = new Tensor(t.shape, { persistent });
  kernels.fill(g.ptr, 0, g.size);
  return g;
}

/** Backpropagates from `root`. Without `grad`, root must have one element (d root/d root = 1). */
export function backward(root: Tensor, grad?: Tensor, opts: BackwardOptions = {}): void {
  checkOptions('backward()', opts, ['retainGraph']);
  const retainGraph = opts.retainGraph ?? false;
  if (!(root instanceof Tensor)) throw new TypeError(`selfish-rnn: backward() needs a Tensor, got ${typeof root}`);
  root.assertLive();
  if (grad !== undefined) {
    if (!(grad instanceof Tensor)) throw new TypeError(`selfish-rnn: backward(grad): grad must be a Tensor, got ${typeof grad}`);
    grad.assertLive();
  }
  if (root.node === null && root.freedOp !== null) throw freedError(root);
  if (!root.requiresGrad) throw new Error('selfish-rnn: backward() on a tensor that does not require grad (was it computed under noGrad, or from inputs without requiresGrad?)');
  if (grad === undefined && root.size !== 1) {
    throw new RangeError(`selfish-rnn: backward() without a gradient needs a scalar, got shape ${shapeString(root.shape)}`);
  }
  if (grad !== undefined && grad.size !== root.size) {
    throw new RangeError(`selfish-rnn: backward() gradient shape ${shapeString(grad.shape)} does not match ${shapeString(root.shape)}`);
  }

  // Reverse topological order by iterative DFS (graphs of long BPTT runs are deep).
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i === 0 && t.node !== null) checkNode(t);
    if (i < inputs.length) {
      top[1] = i + 1;
      const next = inputs[i]!;
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }

  const grads = new Map<Tensor, Tensor>();
  const gradOf = (t: Tensor): Tensor => {
    if (t.node === null) {
      // A leaf: its persistent .grad accumulates across backward calls.
      if (t.grad === null || t.grad.isDisposed) t.grad = zerosLike(t, true);
      return t.grad;
    }
    let g = grads.get(t);
    if (g === undefined) grads.set(t, (g = zerosLike(t, false)));
    return g;
  };

  const seed = gradOf(root);
  if (grad === undefined) kernels.fill(seed.ptr, 1, 1);
  else kernels.axpy(seed.ptr, grad.ptr, 1, seed.size);

  withDeferredReleases(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const node = t.node;
      if (node === null) continue;
      const gOut = grads.get(t);
      if (gOut !== undefined) {
        const gIn = node.inputs.map((x) => (x.requiresGrad ? gradOf(x) : null));
        node.backward(gOut, gIn);
        gOut.dispose();
        grads.delete(t);
      }
      if (!retainGraph) {
        t.freedOp = node.op;
        t.releaseNode(); // release the graph and the saved tensors, as PyTorch does
      }
    }
  });
}

installBackward(backward);
