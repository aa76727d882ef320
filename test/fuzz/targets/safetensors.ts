// Fuzz target: safetensors files, through decodeSafetensors (what an import reads). Inputs: raw
// damage of a real export, and structural changes re-encoded as valid safetensors (renamed,
// dropped or reshaped tensors, edited metadata) that keep the export's checksum. Contract:
// refused with a SafetensorsError naming the file, or accepted with exactly the exported contents
// (names, metadata, shapes and bytes); a file with no selfish-rnn metadata may load as it is. Every
// input is judged twice (here, and by a twin thread with a fresh, poisoned heap): same verdict.
import {
  decodeCheckpoint, decodeSafetensors, encodeSafetensors, exportCheckpoint, Random, SafetensorsError,
  type DecodedSafetensors, type LMCheckpoint, type SafetensorsTensor,
} from '../../../src/index.js';
import { tinyCheckpoints, TINY_MOS } from '../../helpers/lm-checkpoint.js';
import { Campaign, mutateBytes, refusalProblem, Twin } from '../harness.js';
import type { FuzzTarget } from '../types.js';

/** Names, metadata, dtypes, shapes and bytes: what must survive a file that is accepted. */
function fingerprint(d: DecodedSafetensors): string {
  const parts = [JSON.stringify(Object.entries(d.metadata ?? {}).sort())];
  for (const name of Object.keys(d.tensors).sort()) {
    const t = d.tensors[name]!;
    parts.push(`${name}:${t.dtype}[${t.shape.join(',')}]:${Buffer.from(t.bytes).toString('base64')}`);
  }
  return parts.join('\n');
}

export interface SafetensorsInput { bytes: Uint8Array; source: string; exported: string }

/** Decodes like an import does; an accepted file of ours must hold exactly what was exported. Returns the contents' fingerprint. */
export function judge({ bytes, source, exported }: SafetensorsInput): string {
  const d = decodeSafetensors(bytes, { source });
  const ours = d.metadata !== null && Object.keys(d.metadata).some((k) => k.startsWith('selfish-rnn.'));
  const print = fingerprint(d);
  if (ours && print !== exported) throw new Error(`accepted with contents that differ from the export (silent corruption)`);
  return print;
}

export const target: FuzzTarget = {
  name: 'safetensors',
  async run(iterations, seed) {
    const rng = new Random(seed);
    const campaign = new Campaign('safetensors', rng);
    const twin = new Twin(import.meta.url);
    const bases = [(await tinyCheckpoints()).best, (await tinyCheckpoints(TINY_MOS)).best].map((b) => {
      const bytes = exportCheckpoint(decodeCheckpoint(b) as LMCheckpoint);
      return { bytes, print: fingerprint(decodeSafetensors(bytes)) };
    });
    for (let i = 0; i < iterations; i++) {
      const base = bases[rng.int(bases.length)]!;
      const source = `/fuzz/safetensors/${i}.safetensors`;
      let bytes: Uint8Array, what: string;
      if (rng.uniform() < 0.7) {
        ({ bytes, what } = mutateBytes(base.bytes, rng));
      } else {
        const d = decodeSafetensors(base.bytes);
        const tensors: Record<string, SafetensorsTensor> = Object.fromEntries(Object.entries(d.tensors).map(([n, t]) => [n, { dtype: t.dtype as 'F32', shape: t.shape, data: t.data! }]));
        const meta = { ...d.metadata! };
        const names = Object.keys(tensors), name = names[rng.int(names.length)]!, keys = Object.keys(meta), key = keys[rng.int(keys.length)]!;
        switch (rng.int(5)) {
          case 0: tensors[`${name}.x`] = tensors[name]!; delete tensors[name]; what = `tensor ${name} renamed`; break;
          case 1: delete tensors[name]; what = `tensor ${name} dropped`; break;
          case 2: tensors[name] = { ...tensors[name]!, shape: [tensors[name]!.data.length] }; what = `tensor ${name} flattened`; break;
          case 3: meta[key] = `${meta[key]!.slice(0, -1)}${String.fromCharCode(33 + rng.int(90))}`; what = `metadata ${key} edited`; break;
          default: delete meta[key]; what = `metadata ${key} removed`;
        }
        bytes = encodeSafetensors(tensors, meta);
        what = `structural: ${what}`;
      }
      const input: SafetensorsInput = { bytes, source, exported: base.print };
      await campaign.check(`#${i} ${what}`, () => judge(input), (e) => refusalProblem(e, source, [SafetensorsError]), twin.judge(input));
    }
    await twin.stop();
    return campaign.report;
  },
};
