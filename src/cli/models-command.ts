// `selfish-rnn models`: every model name with its family, the source of its recipe and the
// recipe's options, then each family's fields (flag, range, default, help). With --plugin, the
// plugin's families are listed too: what a user's family declares is what this prints.
/// <reference types="node" />
import type { Args, Argv } from 'yargs';
import { modelFamilies, modelRecipe } from '../models/index.js';
import { describeFields } from './config-flags.js';
import type { CliIO } from './train-command.js';

export function modelsBuilder(y: Argv): Argv {
  return y.usage('selfish-rnn models [--plugin FILE]\n\nThe model names (--model), their recipes and sources, and the options of every model family.')
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object: families with their fields and models' });
}

export async function modelsCommand(a: Args, io: CliIO): Promise<number> {
  const families = modelFamilies();
  if (a.json === true) {
    io.stdout.write(JSON.stringify(families.map((f) => ({
      family: f.name, title: f.title, fields: f.fields,
      models: Object.entries(f.presets).map(([name, p]) => ({ name, config: p.config, recipe: modelRecipe(name), source: p.source ?? null })),
    }))) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`${f.title} (family '${f.name}')`);
    for (const [name, p] of Object.entries(f.presets)) {
      const recipe = Object.entries(modelRecipe(name)).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(`  ${name}: ${f.describe({ kind: f.name, vocab: 0, ...Object.fromEntries(Object.entries(f.fields).map(([k, s]) => [k, s.default])), ...p.config } as never)}`);
      if (p.source) lines.push(`    source: ${p.source}`);
      if (recipe) lines.push(`    recipe: ${recipe}`);
    }
    lines.push('  options:', ...describeFields(f.fields).map((l) => `    ${l}`), '');
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
