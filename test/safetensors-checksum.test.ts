// The checksum our safetensors exports carry in __metadata__ (names, metadata and data), which
// decodeSafetensors verifies: every single flipped bit of a small export is refused, and so are
// renamed tensors, edited metadata and a removed checksum; files from other writers still load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeCheckpoint, decodeSafetensors, encodeSafetensors, exportCheckpoint, SAFETENSORS_CHECKSUM_KEY, SafetensorsError, type LMCheckpoint,
} from '../src/index.js';
import { tinyCheckpoints } from './helpers/lm-checkpoint.js';

const { best } = await tinyCheckpoints();
const ckpt = decodeCheckpoint(best) as LMCheckpoint;

function refused(bytes: Uint8Array, re: RegExp, label: string): void {
  try {
    decodeSafetensors(bytes, { source: '/out/model.safetensors' });
  } catch (e) {
    assert.instance(e, SafetensorsError, `${label}: ${(e as Error).name}: ${(e as Error).message}`);
    assert.match((e as Error).message, /^selfish-rnn: \/out\/model\.safetensors/, label);
    assert.match((e as Error).message, re, label);
    return;
  }
  assert.unreachable(`${label}: accepted`);
}

test('exports carry a checksum that decodeSafetensors verifies', () => {
  const st = decodeSafetensors(exportCheckpoint(ckpt));
  assert.match(st.metadata![SAFETENSORS_CHECKSUM_KEY]!, /^crc32:[0-9a-f]{8}$/);
  assert.ok(st.metadata!['selfish-rnn.config'] !== undefined);
});

test('renamed tensors, edited metadata and data, a removed or damaged checksum key are refused', () => {
  const st = decodeSafetensors(exportCheckpoint(ckpt));
  const tensors = Object.fromEntries(Object.entries(st.tensors).map(([n, t]) => [n, { dtype: t.dtype as 'F32', shape: t.shape, data: t.data! }]));
  const meta = st.metadata!;
  const [first] = Object.keys(tensors);
  const renamed = { ...tensors };
  renamed[`${first}x`] = renamed[first!]!;
  delete renamed[first!];
  refused(encodeSafetensors(renamed, meta), /tensor names, metadata or data changed after export/, 'renamed tensor');
  refused(encodeSafetensors(tensors, { ...meta, 'selfish-rnn.vocab': meta['selfish-rnn.vocab']!.replace('the', 'teh') }), /changed after export/, 'edited vocabulary');
  const data = { ...tensors, [first!]: { ...tensors[first!]!, data: (tensors[first!]!.data as Float32Array).map((x, i) => (i === 0 ? x + 1 : x)) } };
  refused(encodeSafetensors(data, meta), /changed after export/, 'edited data');
  const { [SAFETENSORS_CHECKSUM_KEY]: _, ...noSum } = meta;
  refused(encodeSafetensors(tensors, noSum), /written by selfish-rnn but its metadata has no 'selfish-rnn\.checksum'/, 'checksum removed');
  refused(encodeSafetensors(tensors, { ...noSum, 'selfish-rnn.chdcksum': meta[SAFETENSORS_CHECKSUM_KEY]! }), /has no 'selfish-rnn\.checksum'/, 'checksum key damaged');
  refused(encodeSafetensors(tensors, { ...meta, [SAFETENSORS_CHECKSUM_KEY]: 'crc32:00000000' }), /changed after export/, 'wrong checksum');
  // A file from another writer (no selfish-rnn metadata, no checksum) is read as before.
  const plain = decodeSafetensors(encodeSafetensors(tensors, { format: 'pt' }));
  assert.equal(Object.keys(plain.tensors).sort(), Object.keys(tensors).sort());
});

test('every single flipped bit of a small export is refused with a SafetensorsError', () => {
  const bytes = encodeSafetensors({
    'rnn.weight_hh_l0': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, 7]) },
    'rnn.weight_hh_l0.mask': { dtype: 'BOOL', shape: [2, 3], data: Uint8Array.from([1, 1, 1, 0, 1, 1]) },
    'decoder.bias': { dtype: 'F32', shape: [2], data: Float32Array.from([0.25, -0.5]) },
  }, { format: 'pt', 'selfish-rnn.kind': 'selfish-rnn/lm', 'selfish-rnn.config': '{"emsize":4}', 'selfish-rnn.vocab': '["<eos>","the"]' }, { checksum: true });
  decodeSafetensors(bytes);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    for (let b = 0; b < 8; b++) {
      const flipped = bytes.slice();
      flipped[i] ^= 1 << b;
      refused(flipped, /./, `byte ${i} bit ${b}`);
      n++;
    }
  }
  assert.is(n, bytes.length * 8);
});

test.run();
