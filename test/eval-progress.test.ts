// The progress of long validation and test passes (src/cli/eval-progress.ts), on a fake clock:
// nothing for a short pass; on a terminal one line redrawn in place and removed at the end;
// elsewhere a plain line when the pass turns out long, one every 10 s, and one when it ends. And
// the trainer's reporter: evaluation progress on its own terminal line, or on stderr otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EvalProgress, PLAIN_EVERY_SECONDS, QUIET_SECONDS } from '../src/cli/eval-progress.js';
import { ProgressReporter } from '../src/cli/progress.js';
import { evaluate } from '../src/train/evaluate.js';
import { createModel, Random, type LanguageModel } from '../src/index.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 80, write: (s: string) => { writes.push(s); } } };
}

test('a pass shorter than the quiet time shows nothing, on a terminal or not', () => {
  for (const tty of [true, false]) {
    let t = 0;
    const { writes, out } = sink(tty);
    const p = new EvalProgress(out, () => t);
    p.update('valid', 0, 100);
    for (let d = 25; d < 100; d += 25) { t += 0.3; p.update('valid', d, 100); }
    t += 0.3;
    p.update('valid', 100, 100);
    assert.equal(writes, [], `tty ${tty}`);
  }
});

test('not a terminal: a line once the pass is long, one every 10 s, one at the end; none redrawn', () => {
  let t = 0;
  const { writes, out } = sink(false);
  const p = new EvalProgress(out, () => t);
  p.update('test', 0, 1000);
  const times = [1, QUIET_SECONDS + 0.5, 5, 10, QUIET_SECONDS + 0.5 + PLAIN_EVERY_SECONDS + 1, 20];
  times.forEach((at, i) => { t = at; p.update('test', (i + 1) * 100, 1000); });
  t = 25;
  p.update('test', 1000, 1000);
  assert.is(writes.length, 3, writes.join(''));
  assert.match(writes[0]!, /^evaluating test: 200\/1,000 chunks \(20%\), 0:02 elapsed, about 0:08 left\n$/);
  assert.match(writes[1]!, /^evaluating test: 500\/1,000 chunks \(50%\), 0:13 elapsed, about 0:13 left\n$/);
  assert.is(writes[2], 'test pass done: 1,000 chunks in 0:25\n');
  assert.ok(writes.every((w) => !w.includes('\r')));
});

test('a terminal: one line redrawn in place (at most every 0.1 s), removed when the pass ends', () => {
  let t = 0;
  const { writes, out } = sink(true);
  const p = new EvalProgress(out, () => t);
  p.update('valid', 0, 400, 'tokens');
  t = 2; p.update('valid', 100, 400, 'tokens');
  t = 2.05; p.update('valid', 200, 400, 'tokens');
  t = 3; p.update('valid', 300, 400, 'tokens');
  t = 4; p.update('valid', 400, 400, 'tokens');
  assert.equal(writes, [
    '\revaluating validation: 100/400 tokens (25%), 0:02 elapsed, about 0:06 left\x1b[K',
    '\revaluating validation: 300/400 tokens (75%), 0:03 elapsed, about 0:01 left\x1b[K',
    '\r\x1b[K',
  ]);
});

test('the training reporter: on a terminal the pass is drawn on its line; otherwise it goes to the evaluation output', async () => {
  const term = sink(true), errTerm = sink(false);
  const onTerminal = new ProgressReporter(term.out, true, errTerm.out);
  onTerminal.onEval('test', 25, 50);
  assert.is(term.writes.length, 1);
  assert.match(term.writes[0]!, /^\revaluating test: 25\/50 chunks/);
  assert.equal(errTerm.writes, []);
  // Not a terminal: the reporter's own output gets nothing; stderr gets the plain lines of a long pass.
  const log = sink(false), err = sink(false);
  const plain = new ProgressReporter(log.out, true, err.out);
  // A real pass, slowed down by its callback, drives it through evaluate's onProgress contract.
  const model = createModel('lstm-small', { vocab: 30, emsize: 8, nhid: 8, dropout: 0 }, new Random(1)) as LanguageModel;
  const ids = Array.from({ length: 2000 }, (_, i) => (i * 7) % 30);
  const seen: [number, number][] = [];
  try {
    await evaluate(model, ids, { batchSize: 4, bptt: 5, onProgress: async (done, total) => {
      seen.push([done, total]);
      plain.onEval('valid', done, total);
      if (done > 0 && done < total) await new Promise((r) => setTimeout(r, 800));
    } });
  } finally {
    model.dispose();
  }
  assert.equal(seen[0], [0, 100], 'called at the start');
  assert.equal(seen.at(-1), [100, 100], 'called at the end');
  assert.equal(seen.map(([d]) => d), [0, 25, 50, 75, 100]);
  assert.equal(log.writes, []);
  assert.match(err.writes.join(''), /^evaluating validation: 75\/100 chunks \(75%\), 0:0\d elapsed, about 0:0\d left\nvalidation pass done: 100 chunks in 0:0\d\n$/);
});

test.run();
