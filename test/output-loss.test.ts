// A reader that goes away never costs training work: a closed terminal (a real pseudo-terminal,
// hung up as when its window closes), a closed pipe (`train … | head -1`), and Ctrl-C that kills
// the `tee` the output goes through. Each time printing turns off, the run stops at the step
// boundary, saves, and exits with the code of the signal (SIGHUP 129, SIGPIPE 141, SIGINT 130).
// And text from the data printed on a terminal cannot drive it (escape sequences are shown, not obeyed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPython, INTERNAL, runCli, runOnPty, startCli, tinyArgs, waitFor, workspace } from './helpers/cli.js';

const { dir: tmp, corpus } = workspace('output-loss');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function events(save: string): Record<string, unknown>[] {
  return readFileSync(join(save, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** The run stopped where it was (not at an epoch end), saved there, and resumes. */
function assertSavedAtStop(save: string, reason: RegExp): void {
  const log = events(save);
  const stop = log.at(-1)!;
  assert.is(stop.event, 'interrupted', JSON.stringify(stop));
  assert.match(String(stop.reason), reason);
  const epochs = log.filter((e) => e.event === 'epoch').map((e) => e.step);
  assert.ok((stop.step as number) > 0 && !epochs.includes(stop.step), `saved at the stop (step ${stop.step}), not only at an epoch end (${epochs.join(', ')})`);
  const r = runCli(['info', join(save, 'last.ckpt'), '--json']);
  assert.is(r.status, 0, r.err);
  assert.is(JSON.parse(r.out).training.step, stop.step, 'last.ckpt holds the stop point');
}

test('a closed terminal (pseudo-terminal hung up mid-epoch): stops, saves, exits 129, no crash', () => {
  if (!hasPython()) { skipped('a closed terminal (pseudo-terminal hung up mid-epoch)', 'no python3 for the pty module'); return; }
  const save = join(tmp, 'pty');
  const r = runOnPty(['train', ...tinyArgs(corpus, { epochs: '50', save })], { closeOn: /epoch 2 /, timeout: 120_000 });
  assert.ok(r.seen, `training started on the terminal: ${r.out.slice(-500)}`);
  assert.is(r.code, 129, `exit code ${r.code} (negative: killed by a signal, e.g. -6 a native abort)`);
  assertSavedAtStop(save, /SIGHUP/);
});

test('a closed pipe (train | head -1): printing stops, the run saves and exits 141', async () => {
  const save = join(tmp, 'pipe');
  const run = startCli(['train', ...tinyArgs(corpus, { epochs: '50', 'log-interval': '5', save })]);
  await waitFor(() => run.output().includes('\n'), 60_000, 'the first line');
  run.child.stdout!.destroy(); // what `head -1` does after its line
  const { code, signal } = await run.exit;
  assert.is(code, 141, `exit ${code} ${signal}: ${run.errors().slice(-1500)}`);
  assert.not.match(run.errors(), INTERNAL);
  assertSavedAtStop(save, /EPIPE/);
});

test('Ctrl-C through a tee that dies with it: the stop message hits a dead pipe, the run still saves and exits 130', async () => {
  const save = join(tmp, 'tee');
  const run = startCli(['train', ...tinyArgs(corpus, { epochs: '50', 'log-interval': '5', save })]);
  await waitFor(() => /\| step \d+/.test(run.output()), 60_000, 'a step line');
  run.child.kill('SIGINT');
  run.child.stdout!.destroy();
  run.child.stderr!.destroy();
  const { code, signal } = await run.exit;
  assert.is(code, 130, `exit ${code} ${signal}`);
  assertSavedAtStop(save, /SIGINT/);
});

test('generate on a terminal shows the control characters of corpus words as escapes; a pipe gets the exact words', () => {
  const data = join(tmp, 'hostile');
  mkdirSync(data);
  const line = 'the \x1b]0;pwned\x07 whale \x1b[31mred sea \x9b2J deep\n';
  writeFileSync(join(data, 'train.txt'), line.repeat(300));
  writeFileSync(join(data, 'valid.txt'), line.repeat(40));
  writeFileSync(join(data, 'test.txt'), line.repeat(40));
  const save = join(tmp, 'hostile-run');
  let r = runCli(['train', '--data', data, '--emsize', '8', '--nhid', '8', '--batch-size', '4', '--bptt', '5', '--eval-batch-size', '4', '--test-batch-size', '4', '--epochs', '2', '--save', save]);
  assert.is(r.status, 0, r.err);
  const args = ['generate', join(save, 'best.ckpt'), '--words', '200', '--temperature', '3'];
  if (hasPython()) {
    const t = runOnPty(args);
    assert.is(t.code, 0, t.out);
    assert.match(t.out, /\\u\{1b\}\]0;pwned\\u\{7\}/, 'the title sequence is shown escaped');
    assert.not.ok(/[\x07\x1b\x9b]/.test(t.out), 'no raw ESC, BEL or CSI reaches the terminal');
  }
  r = runCli(args);
  assert.is(r.status, 0, r.err);
  assert.ok(r.out.includes('\x1b]0;pwned\x07'), 'a pipe gets the words as they are');
});

test.run();
