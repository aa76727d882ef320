// Every option is declared once (src/config/fields.ts): a training option or a model field has one
// range, and the run's resolution (`train`) and the checkpoint reader apply the same check. Here
// every declared field of the training options and of every family is driven at its bounds and
// just outside them, through the CLI's flag parsing, `resolveTrainConfig` and the checkpoint
// reader's configuration check: the verdicts agree, and a refusal names the flag or the field.
// Then one real run with many fields at their bounds trains, and `info` reads its checkpoint back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundaryValues, flagOf, modelFamilies, resolveTrainConfig, TRAIN_FIELDS, type FieldSpec, type TrainConfig } from '../src/index.js';
import { checkCheckpointConfig } from '../src/train/checkpoint/checkpoint-check.js';
import { trainOptionsFrom } from '../src/cli/train-command.js';
import { defaultCorpusDocumentsSync } from '../src/node.js';

const VOCAB = 50;

/** Whether `fn` runs without throwing; the message otherwise. */
function verdict(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A model name of the family (its first preset) whose sizes are small enough to combine with any one field at a bound. */
function presetOf(family: string): string {
  return Object.keys(modelFamilies().find((f) => f.name === family)!.presets)[0]!;
}

/** The configuration a run of `model` would have, with one field replaced by `v` (unchecked). */
function rawConfig(model: string, key: string, v: unknown, lmField: boolean): TrainConfig {
  const base = resolveTrainConfig({ model, method: 'selfish', density: 0.5 }, VOCAB);
  return (lmField ? { ...base, lm: { ...base.lm, [key]: v } } : { ...base, [key]: v }) as TrainConfig;
}

test('training options: at and just outside every bound, train, the CLI and the checkpoint reader agree', () => {
  let checked = 0;
  for (const [key, f] of Object.entries(TRAIN_FIELDS as Record<string, FieldSpec>)) {
    const { valid, invalid } = boundaryValues(f);
    for (const v of [...valid, ...invalid]) {
      // A sparse run (so density, death rate … apply); dense with density ≠ 1 is a rule between options.
      const opts = { model: 'lstm-small', method: 'selfish', density: 0.5, [key]: v } as never;
      const train = verdict(() => resolveTrainConfig(opts, VOCAB));
      const reader = verdict(() => checkCheckpointConfig(train === null ? resolveTrainConfig(opts, VOCAB) : rawConfig('lstm-small', key, v, false)));
      assert.is(reader === null, train === null, `${key} = ${JSON.stringify(v)}: train ${train ?? 'accepts'}, reader ${reader ?? 'accepts'}`);
      if (invalid.includes(v)) assert.match(train ?? '', new RegExp(`\\b${key}\\b`), `${key} = ${JSON.stringify(v)} is refused naming it`);
      if (key === 'finetune' || f.type === 'boolean') continue;
      // The CLI refuses the same values, naming the flag.
      const cli = verdict(() => resolveTrainConfig(trainOptionsFrom({ _: [], $0: '', method: 'selfish', density: 0.5, [flagOf(key)]: v }), VOCAB));
      assert.is(cli === null, train === null, `--${flagOf(key)} ${JSON.stringify(v)}: CLI ${cli ?? 'accepts'}, train ${train ?? 'accepts'}`);
      if (cli !== null && invalid.includes(v) && key !== 'density') assert.match(cli, new RegExp(`--${flagOf(key)}\\b`), cli);
      checked++;
    }
  }
  assert.ok(checked > 60, `${checked} values checked`);
});

test('model fields of every family: at and just outside every bound, train, the CLI and the checkpoint reader agree', () => {
  let checked = 0;
  for (const family of modelFamilies()) {
    const model = presetOf(family.name);
    for (const [key, f] of Object.entries(family.fields)) {
      const { valid, invalid } = boundaryValues(f);
      for (const v of [...valid, ...invalid]) {
        const opts = { model, method: 'selfish', density: 0.5, lm: { [key]: v } } as never;
        const train = verdict(() => resolveTrainConfig(opts, VOCAB));
        const reader = verdict(() => checkCheckpointConfig(rawConfig(model, key, v, true)));
        assert.is(reader === null, train === null, `${family.name}.${key} = ${JSON.stringify(v)}: train ${train ?? 'accepts'}, reader ${reader ?? 'accepts'}`);
        if (invalid.includes(v)) assert.match(train ?? '', new RegExp(`\\b${key}\\b`), `${family.name}.${key} = ${JSON.stringify(v)} is refused naming it`);
        if (f.type !== 'boolean') {
          const cli = verdict(() => resolveTrainConfig(trainOptionsFrom({ _: [], $0: '', model, method: 'selfish', density: 0.5, [flagOf(key)]: v }), VOCAB));
          assert.is(cli === null, train === null, `${model} --${flagOf(key)} ${JSON.stringify(v)}: CLI ${cli ?? 'accepts'}, train ${train ?? 'accepts'}`);
          if (cli !== null && invalid.includes(v)) assert.match(cli, new RegExp(`--${flagOf(key)}\\b|\\b${key}\\b`), cli);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 60, `${checked} values checked`);
});

test('a run with options at their bounds trains, and info reads its checkpoint back', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-fields-'));
  try {
    const corpus = join(tmp, 'corpus.txt');
    writeFileSync(corpus, defaultCorpusDocumentsSync().slice(0, 3).join('\n'));
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    const save = join(tmp, 'run');
    const bounds = [
      '--model', 'selfish-onlstm', '--emsize', '8', '--nhid', '8', '--nlayers', '1', '--chunk-size', '1', '--dropout', '0.999999', '--dropouth', '0',
      '--dropouti', '0', '--dropoute', '0', '--wdrop', '0', '--alpha', '1000000', '--beta', '0', '--death-rate', '1', '--density', '1', '--method', 'set',
      '--update-every', '1', '--seed', String(Number.MIN_SAFE_INTEGER), '--nonmono', '1', '--wdecay', '0', '--clip', '1000000', '--max-seq-len-delta', '0',
      '--batch-size', '1', '--bptt', '1', '--eval-batch-size', '1', '--test-batch-size', '1', '--epochs', '1', '--lr', '1e-9', '--max-vocab', '3',
    ];
    const r = run(['train', '--data', corpus, ...bounds, '--max-steps', '3', '--save', save]);
    assert.is(r.status, 0, r.stderr);
    const info = run(['info', join(save, 'last.ckpt')]);
    assert.is(info.status, 0, info.stderr);
    assert.match(info.stdout, /ON-LSTM, 1 layers/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
