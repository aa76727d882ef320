// The twin judge's thread (see Twin in ./harness.ts): imports a fuzz target module, poisons every
// allocation, and judges each input it is sent with the target's `judge(input)`, from the global
// random state the campaign had for that input.
import { parentPort, workerData } from 'node:worker_threads';
import { globalRandom, setHeapPoison, tensor } from '../../src/index.js';
import { refusalText, type Verdict } from './harness.js';

const { judge } = (await import(workerData.moduleUrl as string)) as { judge(input: unknown): Promise<string> | string };
setHeapPoison(0xff);
// A history of its own: a few blocks of odd sizes kept for good, so addresses differ from the campaign's.
const kept = [3, 17, 1000, 5].map((n) => tensor(Array.from({ length: n }, (_, i) => i)));
parentPort!.on('message', async ({ id, input, global }: { id: number; input: unknown; global: Parameters<typeof globalRandom.setState>[0] }) => {
  globalRandom.setState(global);
  let verdict: Verdict;
  try {
    verdict = { accepted: true, result: String((await judge(input)) ?? '') };
  } catch (e) {
    verdict = { accepted: false, error: refusalText(e) };
  }
  parentPort!.postMessage({ id, verdict, kept: kept.length });
});
