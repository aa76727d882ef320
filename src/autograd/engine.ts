// Reverse-mode autodiff over a dynamically recorded graph (PyTorch semantics).
//
// An op that has inputs requiring grad attaches a GradNode to its output: the inputs and a
// backward function written next to the forward in the op's file. `backward(root)` visits the
// graph in reverse topological order; each node's backward *accumulates* into the gradient
// buffers of its inputs (llm.c style), so fan-out needs no extra additions. Leaves accumulate
// into their persistent `.grad` until zeroed; intermediate gradients are freed as soon as their
// node has run, and the graph is released after the pass (no retain_graph).
//
// Saved tensors belong to the tape: an op hands the tensors its backward needs to `record`, which
// takes them out of every `tidy` scope and frees them when the node is released (its backward
// ran, or its output was disposed), or at once when nothing is recorded. So an op used outside
// `tidy`, or under `noGrad`, leaves nothing live behind.
import { kernels } from '../backend/wasm.js';
import { Tensor, installBackward, keep, shapeString, type GradNode } from '../tensor.js';

export type { GradNode } from '../tensor.js';

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
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: GradNode['backward'], saved: readonly Tensor[] = []): Tensor {
  let any = false;
  if (gradEnabled) for (const t of inputs) if (t.requiresGrad) any = true;
  if (!any) {
    for (const t of saved) t.dispose();
    return out;
  }
  for (const t of saved) keep(t);
  out.requiresGrad = true;
  out.node = saved.length > 0 ? { op, inputs, backward, saved } : { op, inputs, backward };
  return out;
}

function zerosLike(t: Tensor, persistent: boolean): Tensor {
  const g = new Tensor(t.shape, { persistent });
  kernels.fill(g.ptr, 0, g.size);
  return g;
}

/** Backpropagates from `root`. Without `grad`, root must have one element (d root/d root = 1). */
export function backward(root: Tensor, grad?: Tensor): void {
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
    t.releaseNode(); // release the graph and the saved tensors, as PyTorch does
  }
}

installBackward(backward);
