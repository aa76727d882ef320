// `--plugin FILE`: an ES module that declares model families in user code. It is loaded before
// the command line is parsed, so its models are `--model` choices and its fields are flags (and
// --help lists them). The module either exports families made with `defineModelFamily`, or a
// default function that receives the library and returns them (so the plugin needs no import of
// its own and always gets this very copy of the library, whose memory and registry the CLI uses).
/// <reference types="node" />
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerFamiliesFrom, type ModelFamily } from '../models/index.js';
import { UsageError } from './format.js';

/** The --plugin values of a raw argument list (`--plugin F`, `--plugin=F`, repeated), before yargs parses it. */
export function pluginArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--plugin') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-')) throw new UsageError('--plugin needs a file (an ES module that declares model families)');
      out.push(v);
      i++;
    } else if (a.startsWith('--plugin=')) {
      out.push(a.slice('--plugin='.length));
    }
  }
  return out;
}

/** Imports each plugin and registers the families it declares; returns them. */
export async function loadPlugins(files: readonly string[]): Promise<ModelFamily[]> {
  const all: ModelFamily[] = [];
  for (const file of files) {
    const path = resolve(file);
    if (!existsSync(path)) throw new UsageError(`--plugin ${file}: no such file (${path})`);
    if (!statSync(path).isFile()) throw new UsageError(`--plugin ${file}: not a file`);
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(path).href) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--plugin ${file} failed to load: ${(e as Error)?.message ?? String(e)}`);
    }
    try {
      all.push(...await registerFamiliesFrom(mod, await import('../index.js')));
    } catch (e) {
      throw new UsageError(`--plugin ${file}: ${(e as Error)?.message?.replace(/^selfish-rnn: /, '') ?? String(e)}`);
    }
  }
  return all;
}

export const PLUGIN_OPTION = {
  type: 'string',
  describe: 'an ES module declaring model families (defineModelFamily); its models and fields become choices and flags of every command; repeat for several',
  defaultDescription: 'none',
} as const;
