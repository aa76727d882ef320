// Nothing is lost when saving goes wrong: non-finite weights are a divergence and never replace a
// good checkpoint; a log or plot that can no longer be written (full disk, run directory deleted or
// replaced by a file, read-only file system) stops the run at the step boundary with one message
// naming the file and the cause, saves what can be saved, and exits 1 without a stack trace; a
// full disk at the start is a usage error naming the directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLMCheckpoint, engineSparsity, memoryStore, resolveTrainConfig, Trainer, TrainingDivergedError } from '../src/index.js';
import { tinyCorpus, TINY_STACKED } from './helpers/lm-checkpoint.js';
import { INTERNAL, runCli, smallTmpfs, startCli, tinyArgs, waitFor, workspace } from './helpers/cli.js';

const { dir: tmp, corpus } = workspace('run-failures');
const mounts: (() => void)[] = [];
test.after(() => {
  for (const unmount of mounts) unmount();
  rmSync(tmp, { recursive: true, force: true });
});

test('a step that overflows the weights, then --max-steps: exit 1, nothing saved (was: exit 0, valid ppl NaN)', () => {
  const save = join(tmp, 'overflow');
  const r = runCli(['train', ...tinyArgs(corpus, { lr: '1e300', 'max-steps': '1', save })]);
  assert.is(r.status, 1, r.out + r.err);
  assert.match(r.err, /training diverged by step 1: weight \S+ is (-?Infinity|NaN) \(the updates overflowed\), so last\.ckpt was not saved; no checkpoint had been saved yet\. Try a smaller --lr or --clip\./);
  assert.not.match(r.out + r.err, /ppl NaN/);
  assert.not.ok(existsSync(join(save, 'last.ckpt')));
});

for (const how of ['--max-steps', 'a stop request'] as const) {
  test(`non-finite weights at a save (${how}) keep the previous checkpoint`, async () => {
    const config = resolveTrainConfig({ ...TINY_STACKED, epochs: 3 }, tinyCorpus.vocab.size);
    const store = memoryStore();
    const first = await Trainer.create({ config, corpus: tinyCorpus, store, sparsity: engineSparsity, maxSteps: 3 });
    try { await first.run(); } finally { first.dispose(); }
    const good = store.files.get('last.ckpt')!.slice();
    let trainer: Trainer | null = null;
    const poisonAt = how === '--max-steps' ? 5 : 4;
    trainer = await Trainer.create({
      corpus: tinyCorpus, store, sparsity: engineSparsity, maxSteps: 5, resume: decodeLMCheckpoint(good),
      events: {
        onStep: (s) => {
          if (s.step !== poisonAt) return;
          trainer!.model.parameters()[1]!.data[0] = NaN; // what an overflowing update leaves
          if (how === 'a stop request') trainer!.requestStop('test');
        },
      },
    });
    try {
      await trainer.run();
      assert.unreachable('non-finite weights were saved');
    } catch (e) {
      assert.instance(e, TrainingDivergedError);
      assert.match((e as Error).message, new RegExp(`diverged by step ${poisonAt}: weight \\S+\\[0\\] is NaN .*the checkpoint this run resumed from \\(step 3\\) is intact`));
    } finally {
      trainer.dispose();
    }
    assert.equal(store.files.get('last.ckpt'), good, 'the good checkpoint is still there');
  });
}

/** Starts a long run and waits for its first step lines. */
async function startLong(save: string, extra: Record<string, string> = {}) {
  const run = startCli(['train', ...tinyArgs(corpus, { epochs: '50', 'log-interval': '1', save, ...extra })]);
  await waitFor(() => /\| step \d+/.test(run.output()), 60_000, 'training to start');
  return run;
}

function assertCleanFailure(code: number | null, err: string, message: RegExp): void {
  assert.is(code, 1, err);
  assert.match(err, message, err);
  assert.not.match(err, INTERNAL, `no stack trace or raw error code:\n${err}`);
  assert.is(err.split('\n').filter((l) => l.startsWith('selfish-rnn: ')).length, 1, `reported once:\n${err}`);
}

test('the log turns into a full device mid-run: one message naming log.jsonl, the checkpoint at the stop saved, resumable', async () => {
  const save = join(tmp, 'log-full');
  const run = await startLong(save);
  symlinkSync('/dev/full', join(save, 'full-link'));
  renameSync(join(save, 'full-link'), join(save, 'log.jsonl')); // every append now fails with ENOSPC
  const { code } = await run.exit;
  assertCleanFailure(code, run.errors(), /could not append to \S+log\.jsonl: no space left on the device; training stopped at step \d+: the checkpoint at the stop is saved: \S+last\.ckpt \(continue with selfish-rnn train --resume/);
  rmSync(join(save, 'log.jsonl'));
  const r = runCli(['train', '--resume', save, '--max-steps', '1']);
  assert.is(r.status, 0, r.err);
});

test('the run directory deleted mid-run: one message naming the file and the cause, exit 1', async () => {
  const save = join(tmp, 'deleted');
  const run = await startLong(save);
  rmSync(save, { recursive: true, force: true });
  const { code } = await run.exit;
  assertCleanFailure(code, run.errors(), /could not (append to|write) \S+deleted\/(log\.jsonl|plot\.svg|last\.ckpt|best\.ckpt): its directory \S+ does not exist \(deleted or renamed\?\).*; training stopped at step \d+: /);
  assert.not.ok(existsSync(save), 'not silently recreated');
});

test('the run directory replaced by a file mid-run: exit 1, the cause named (gone, or a file in the way: the replacement takes two steps)', async () => {
  const save = join(tmp, 'replaced');
  const run = await startLong(save);
  rmSync(save, { recursive: true, force: true });
  writeFileSync(save, 'not a directory');
  const { code } = await run.exit;
  assertCleanFailure(code, run.errors(), /could not (append to|write) \S+replaced\/(log\.jsonl|plot\.svg|last\.ckpt|best\.ckpt): (a file is in the way of its directory|its directory \S+ does not exist).*; training stopped at step \d+: /);
  assert.is(readFileSync(save, 'utf8'), 'not a directory');
});

test('a full disk and a read-only remount (a small tmpfs; root only)', async () => {
  const fs = smallTmpfs(tmp, 4 << 20);
  if (fs === null) { skipped('a full disk and a read-only remount', 'cannot mount a tmpfs here (needs root with mount rights)'); return; }
  mounts.push(fs.unmount);
  // Full at the start: a usage error naming the directory.
  spawnSync('dd', ['if=/dev/zero', `of=${join(fs.dir, 'filler')}`, 'bs=64k'], { encoding: 'utf8' });
  let r = runCli(['train', ...tinyArgs(corpus, { save: join(fs.dir, 'run'), 'max-steps': '3' })]);
  assert.is(r.status, 2, r.err);
  assert.match(r.err, /--save \S+: no space left for \S+\/run \(the device is full\); free some space or choose another directory/);
  assert.not.match(r.err, INTERNAL);
  rmSync(join(fs.dir, 'filler'));
  rmSync(join(fs.dir, 'run'), { recursive: true, force: true });
  // Full mid-run: the log fails, and so does the checkpoint (or the checkpoint fails first); the last good one (an epoch end) is named.
  const save = join(fs.dir, 'full');
  let run = await startLong(save);
  await waitFor(() => existsSync(join(save, 'last.ckpt')), 60_000, 'the first epoch-end checkpoint');
  spawnSync('dd', ['if=/dev/zero', `of=${join(fs.dir, 'filler')}`, 'bs=64k'], { encoding: 'utf8' });
  let exit = await run.exit;
  assertCleanFailure(exit.code, run.errors(), /could not (append to|write) \S+full\/\S+: no space left on the device.*; training stopped at step \d+: (the checkpoint at the stop is saved|.*the last good checkpoint is \S+last\.ckpt \(step \d+\))/);
  rmSync(join(fs.dir, 'filler'));
  assert.is(runCli(['train', '--resume', save, '--max-steps', '1']).status, 0, 'the last good checkpoint resumes');
  // Read-only mid-run.
  const ro = join(fs.dir, 'ro');
  run = await startLong(ro);
  // A remount is refused while a file is open for writing: try between two appends.
  let remounted = false;
  for (let k = 0; k < 500 && !remounted; k++) remounted = spawnSync('mount', ['-o', 'remount,ro', fs.dir]).status === 0;
  assert.ok(remounted, 'remounted read-only');
  exit = await run.exit;
  spawnSync('mount', ['-o', 'remount,rw', fs.dir]);
  assertCleanFailure(exit.code, run.errors(), /could not (append to|write) \S+ro\/(log\.jsonl|plot\.svg): the file system is read-only; training stopped at step \d+: the checkpoint could not be saved either/);
});

test.run();
