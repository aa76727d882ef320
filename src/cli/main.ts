#!/usr/bin/env node
// The `selfish-rnn` command line (bin → dist/cli/main.js). Only this file imports yargs, and the
// build inlines it (scripts/bundle-cli.mjs): the package has no runtime dependency, and the
// library entries (src/index.ts, src/node.ts) never load a parser.
//
// Exit codes: 0 success; 1 a runtime failure (unreadable or corrupt checkpoint, diverged
// training, …: the message says what); 2 a usage error (unknown flag, invalid value, missing
// data, a flag given twice, a model too large for the memory); 130 / 143 / 129 stopped by Ctrl-C
// (SIGINT) / SIGTERM / SIGHUP after saving a checkpoint.
/// <reference types="node" />
import { readFileSync } from 'node:fs';
import yargs, { type Args } from 'yargs';
import { hideBin } from 'yargs/helpers';
// The families that ship with the library on its public API (the GRU), registered on import.
import '../families/index.js';
import { benchBuilder, benchCommand } from './bench-command.js';
import { refuseRepeatedFlags, UsageError } from './format.js';
import { refuseExtraArguments, refuseMissingValues, refuseRepeatedRawFlags } from './raw-args.js';
import { releaseHungUpTerminalsAtExit, SafeOutput } from './safe-output.js';
import { importBuilder, importCommand } from './import-command.js';
import { evalBuilder, evalCommand, exportBuilder, exportCommand, generateBuilder, generateCommand, infoBuilder, infoCommand } from './model-commands.js';
import { modelsBuilder, modelsCommand } from './models-command.js';
import { loadPlugins, pluginArgs, PLUGIN_OPTION } from './plugins.js';
import { studyBuilder, studyCommand } from './study-command.js';
import { trainBuilder, trainCommand, type CliIO } from './train-command.js';

// A reader that went away (a closed pipe or terminal) turns printing off instead of crashing.
const stdout = new SafeOutput(process.stdout, 'stdout'), stderr = new SafeOutput(process.stderr, 'stderr');
releaseHungUpTerminalsAtExit();
const io: CliIO = {
  stdout, stderr,
  onOutputLost(listener) {
    const offOut = stdout.onLost(listener), offErr = stderr.onLost(listener);
    return () => { offOut(); offErr(); };
  },
};
/** The command line as given (repeated flags are found in it, not in the parsed values). */
let rawArgv: readonly string[] = [];

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/** Runs a command, turning its errors into messages and exit codes. */
function guard(cmd: (a: Args, io: CliIO) => Promise<number>) {
  return async (a: Args): Promise<void> => {
    process.exitCode = await Promise.resolve().then(() => { refuseRepeatedRawFlags(rawArgv, a); refuseMissingValues(rawArgv, a); refuseExtraArguments(rawArgv, a); refuseRepeatedFlags(a); }).then(() => cmd(a, io)).catch(report);
  };
}

function report(e: unknown): number {
  if (e instanceof UsageError) {
    io.stderr.write(`selfish-rnn: ${e.message}\nRun 'selfish-rnn --help' or 'selfish-rnn <command> --help' for the options.\n`);
    return 2;
  }
  const err = e as Error;
  const msg = String(err?.message ?? err);
  io.stderr.write(`${msg.startsWith('selfish-rnn:') ? msg : `selfish-rnn: ${msg}`}\n`);
  if (process.env.SELFISH_RNN_DEBUG) io.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<void> {
  // Plugins first: their models and fields become choices and flags of the commands below.
  try {
    await loadPlugins(pluginArgs(argv));
  } catch (e) {
    process.exitCode = report(e);
    return;
  }
  rawArgv = argv;
  const cli = yargs(argv)
    .scriptName('selfish-rnn')
    // English throughout, like the CLI's own messages (yargs' translations are not bundled).
    .locale('en')
    // Flags are read by their kebab-case names only (no camelCase twins in messages or --batchSize).
    .parserConfiguration({ 'camel-case-expansion': false })
    .usage('selfish-rnn <command> [options]\n\nTrain and use sparse recurrent language models (Selfish-RNN, SNT-ASGD, AWD-LSTM-MoS) with real sparse kernels.')
    .command('train', 'train a (sparse) language model', trainBuilder, guard(trainCommand))
    .command('eval <checkpoint>', 'perplexity of a checkpoint on a split', evalBuilder, guard(evalCommand))
    .command('generate <checkpoint>', 'sample text from a checkpoint', generateBuilder, guard(generateCommand))
    .command('info <checkpoint>', 'parameters, densities (per layer and gate), bytes of weights + optimizer state against dense, and training state of a checkpoint', infoBuilder, guard(infoCommand))
    .command('export <checkpoint>', 'export a checkpoint to safetensors (PyTorch names)', exportBuilder, guard(exportCommand))
    .command('import <file>', 'import a PyTorch state_dict (.safetensors) as a checkpoint', importBuilder, guard(importCommand))
    .command('bench', 'training throughput (tokens/s) of a model at a density', benchBuilder, guard(benchCommand))
    .command('models', 'the model names (with the training recipe and source of each) and every family\'s options', modelsBuilder, guard(modelsCommand))
    .command('study', 'the reproduction study: dense vs sparse methods at one density, report with plots (resumable, --budget)', studyBuilder, guard(studyCommand))
    .option('plugin', { ...PLUGIN_OPTION, global: true })
    .demandCommand(1, 'give a command: train, eval, generate, info, export, import, bench, models or study')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .epilogue('Data sets, recipes and the mapping from the official Selfish-RNN flags: see README.md.')
    .fail((msg, err) => {
      throw err ?? new UsageError(msg ?? 'invalid command line');
    });
  try {
    await cli.parseAsync();
  } catch (e) {
    process.exitCode = report(e);
  }
}

await main(hideBin(process.argv));
