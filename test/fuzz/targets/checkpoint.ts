// Fuzz target: language-model checkpoints, through the path `eval`, `info` and `--resume` take
// (decodeLMCheckpoint → modelFromCheckpoint → evaluate; 'last' files also Trainer.create and
// sometimes a training step), judged twice (here, and by a twin thread with a fresh, poisoned heap:
// the verdicts and results must agree). Inputs: raw damage of real checkpoint bytes (checksums then fail),
// and structural mutations of their meta and tensors re-encoded with valid checksums (what a
// buggy writer or a hand edit produces). Contract: accepted and usable, or a CheckpointError
// naming the file; see ../harness.ts for the rest.
import {
  CheckpointError, decodeCheckpoint, decodeLMCheckpoint, encodeCheckpoint, engineSparsity, evaluate, memoryStore, modelFromCheckpoint,
  Random, Trainer, TrainingDivergedError, type CheckpointTensor, type LMCheckpoint,
} from '../../../src/index.js';
import { tinyCheckpoints, tinyCorpus, TINY_MOS } from '../../helpers/lm-checkpoint.js';
import { Campaign, canaryProblem, mutateBytes, nastyValue, refusalProblem, Twin } from '../harness.js';
import type { FuzzTarget } from '../types.js';

const evalIds = tinyCorpus.valid.slice(0, 81);

async function baseline(): Promise<{ name: string; bytes: Uint8Array }[]> {
  const stacked = await tinyCheckpoints();
  const mos = await tinyCheckpoints(TINY_MOS);
  return [
    { name: 'stacked-last', bytes: stacked.last }, { name: 'stacked-best', bytes: stacked.best },
    { name: 'mos-last', bytes: mos.last }, { name: 'mos-best', bytes: mos.best },
  ];
}

/** What is done with an input, drawn before it is tried (so the draws never depend on the outcome). */
interface Plan {
  /** `--resume` does not build the model through modelFromCheckpoint first: try either order. */
  resumeFirst: boolean;
  /** Training steps after a resume (0 or 1). */
  steps: number;
}

export interface CheckpointInput { bytes: Uint8Array; source: string; plan: Plan }

/**
 * Loads and uses a checkpoint like the CLI does; throws what the library throws. Returns what it
 * computed (losses, the resumed step), which the twin's judgment of the same bytes must repeat.
 */
export async function judge({ bytes, source, plan }: CheckpointInput): Promise<string> {
  const ckpt = decodeLMCheckpoint(bytes, source);
  const results: string[] = [];
  if (plan.resumeFirst && ckpt.meta.role === 'last') results.push(await resume(ckpt, plan.steps));
  const { model } = modelFromCheckpoint(ckpt);
  try {
    results.push(`eval ${(await evaluate(model, evalIds, { batchSize: 2, bptt: 10 })).loss}`);
  } finally {
    model.dispose();
  }
  if (!plan.resumeFirst && ckpt.meta.role === 'last') results.push(await resume(ckpt, plan.steps));
  return results.join('; ');
}

async function resume(ckpt: LMCheckpoint, steps: number): Promise<string> {
  const step = (ckpt.meta.training as { globalStep: number }).globalStep;
  const trainer = await Trainer.create({ corpus: tinyCorpus, resume: ckpt, sparsity: engineSparsity, store: memoryStore(), logInterval: 10_000, maxSteps: step + steps });
  try {
    if (steps === 0) return `resumed at step ${step}`;
    const r = await trainer.run();
    return `trained to step ${r.steps}: valid ${r.valLoss}, test ${r.testLoss}`;
  } catch (e) {
    // Loaded fine; training from these weights (e.g. one of 3e38) diverged, and the trainer said
    // so clearly: the right outcome, not a failure of the reader.
    if (!(e instanceof TrainingDivergedError)) throw e;
    return `diverged: ${e.message}`;
  } finally {
    trainer.dispose();
  }
}

// Not the file's fault but the corpus's: a vocabulary the corpus does not have (refused by
// Trainer.create), or a batch size the corpus is too small for (a valid config, e.g. testBatchSize
// 3999999, against the fuzz corpus of 300 test tokens; reported when that split is batched).
const isCorpusMismatch = (e: unknown) => e instanceof RangeError &&
  /^selfish-rnn: (the corpus does not have the checkpoint's vocabulary|the model's vocabulary has|\d+ tokens are too few for batch size|the (training|validation|test) split has \d+ tokens, too few for batch size)/.test(e.message);

type Meta = Record<string, unknown>;

/** A random change to the meta (a JSON tree) or to the tensors, described in a few words. */
function structuralMutation(meta: Meta, tensors: Record<string, CheckpointTensor>, rng: Random): string {
  if (rng.uniform() < 0.6) {
    // Walk to a random node of the meta, then change, delete or replace it.
    let node: any = meta;
    const path: string[] = [];
    for (let depth = 0; depth < 1 + rng.int(5); depth++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const k = keys[rng.int(keys.length)]!;
      if (typeof node[k] !== 'object' || node[k] === null || rng.uniform() < 0.25) {
        const v = node[k];
        const action = rng.int(4);
        if (action === 0) { delete node[k]; return `meta.${[...path, k].join('.')} deleted`; }
        if (action === 1 && typeof v === 'number') { const f = [0, -1, 2, 1e6, 1e-6, 0.5][rng.int(6)]!; node[k] = Number.isInteger(v) ? Math.round(v * f) + rng.int(3) - 1 : v * f; return `meta.${[...path, k].join('.')} ${v} → ${node[k]}`; }
        node[k] = nastyValue(rng);
        return `meta.${[...path, k].join('.')} = ${JSON.stringify(node[k])}`;
      }
      path.push(k);
      node = node[k];
    }
    (node as Meta)[['__proto__', 'extra', 'layout', 'shape'][rng.int(4)]!] = nastyValue(rng);
    return `meta.${path.join('.')} gained a field`;
  }
  const names = Object.keys(tensors);
  const name = names[rng.int(names.length)]!;
  const t = tensors[name]!;
  switch (rng.int(6)) {
    case 0: delete tensors[name]; return `tensor ${name} deleted`;
    case 1: {
      if (t.data.length === 0) return 'no-op';
      const i = rng.int(t.data.length);
      const v = t.dtype === 'f32' ? [NaN, Infinity, -Infinity, 3e38, -1e30, 0, 1][rng.int(7)]! : [-1, 2 ** 31 - 1, -(2 ** 31), 1 << 20, 0, t.data.length][rng.int(6)]!;
      t.data[i] = v;
      return `tensor ${name}[${i}] = ${v}`;
    }
    case 2: {
      const n = Math.max(0, t.data.length + rng.int(5) - 2);
      const data = new (t.data.constructor as new (n: number) => typeof t.data)(n);
      data.set(t.data.subarray(0, Math.min(n, t.data.length)));
      tensors[name] = { dtype: t.dtype, shape: [n], data };
      return `tensor ${name} resized to ${n}`;
    }
    case 3: {
      const dtype = t.dtype === 'f32' ? 'i32' : 'f32';
      tensors[name] = { dtype, shape: t.shape, data: dtype === 'f32' ? new Float32Array(t.data.buffer.slice(0), t.data.byteOffset, t.data.length) : new Int32Array(t.data.buffer.slice(0), t.data.byteOffset, t.data.length) };
      return `tensor ${name} reinterpreted as ${dtype}`;
    }
    case 4: {
      if (t.shape.length === 2) { tensors[name] = { ...t, shape: [t.shape[1]!, t.shape[0]!] }; return `tensor ${name} transposed shape`; }
      tensors[name] = { ...t, shape: [1, t.data.length] };
      return `tensor ${name} reshaped to [1, n]`;
    }
    default: {
      tensors[`${name.split('/')[0]}/extra`] = { dtype: 'f32', shape: [3], data: new Float32Array(3) };
      return `tensor ${name.split('/')[0]}/extra added`;
    }
  }
}

export const target: FuzzTarget = {
  name: 'checkpoint',
  async run(iterations, seed) {
    const rng = new Random(seed);
    const campaign = new Campaign('checkpoint', rng);
    const twin = new Twin(import.meta.url);
    const bases = await baseline();
    const reference = bases[1]!;
    const referenceLoss = async () => {
      const { model } = modelFromCheckpoint(decodeLMCheckpoint(reference.bytes, 'reference'));
      try { return (await evaluate(model, evalIds, { batchSize: 2, bptt: 10 })).loss; } finally { model.dispose(); }
    };
    const before = await referenceLoss();
    for (let i = 0; i < iterations; i++) {
      const base = bases[rng.int(bases.length)]!;
      const source = `/fuzz/checkpoint/${i}-${base.name}.ckpt`;
      let bytes: Uint8Array, what: string;
      if (rng.uniform() < 0.5) {
        ({ bytes, what } = mutateBytes(base.bytes, rng));
        what = `raw (${base.name}): ${what}`;
      } else {
        const c = decodeCheckpoint<Meta>(base.bytes);
        const changes = Array.from({ length: 1 + rng.int(3) }, () => structuralMutation(c.meta, c.tensors, rng));
        what = `structural (${base.name}): ${changes.join('; ')}`;
        try {
          bytes = encodeCheckpoint(c);
        } catch {
          bytes = base.bytes.slice(0, 10); // the writer itself refused (e.g. a resized tensor's shape); try a truncation instead
        }
      }
      const input: CheckpointInput = { bytes, source, plan: { resumeFirst: rng.uniform() < 0.5, steps: rng.uniform() < 0.15 ? 1 : 0 } };
      await campaign.check(`#${i} ${what}`, () => judge(input), (e) => (isCorpusMismatch(e) ? null : refusalProblem(e, source, [CheckpointError])), twin.judge(input));
      if (i % 50 === 49 || i === iterations - 1) {
        const canary = canaryProblem();
        if (canary !== null) campaign.fail(`after #${i}`, canary);
      }
    }
    await twin.stop();
    const after = await referenceLoss();
    if (after !== before) campaign.fail('after the campaign', `the reference checkpoint now evaluates to loss ${after}, was ${before}`);
    return campaign.report;
  },
};
