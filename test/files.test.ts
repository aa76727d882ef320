// Reading and writing files: chunked reads and writes (files over 2 GiB), refusal of what cannot be
// read back, of what is not a regular file (FIFOs, devices) at once, and of an export over its own
// input. Library functions directly, and the CLI as a separate process (exit code 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileBytes, readFileBytesSync, writeFileAtomic, writeFileAtomicSync } from '../src/io/atomic-file.js';
import { encodeCheckpoint } from '../src/io/checkpoint-format.js';
import { Random } from '../src/random.js';
import { tinyCheckpoints } from './helpers/lm-checkpoint.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-files-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], cwd?: string) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : ''), seconds: (Date.now() - t0) / 1000 };
}

async function rejects(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}
function throwsSync(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  assert.unreachable('expected an error');
  throw new Error('unreachable');
}

const rng = new Random(99);
const payload = Uint8Array.from({ length: 1000 }, () => rng.int(256));

test('chunked reads and writes: every chunk size gives the same bytes (the path files over 2 GiB take)', async () => {
  for (const chunkBytes of [1, 7, 64, 999, 1000, 4096]) {
    const a = join(tmp, `async-${chunkBytes}.bin`), s = join(tmp, `sync-${chunkBytes}.bin`);
    await writeFileAtomic(a, payload, { chunkBytes });
    writeFileAtomicSync(s, payload, { chunkBytes });
    assert.ok(Buffer.from(readFileSync(a)).equals(Buffer.from(payload)), `write, chunk ${chunkBytes}`);
    assert.ok(Buffer.from(readFileSync(s)).equals(Buffer.from(payload)), `writeSync, chunk ${chunkBytes}`);
    assert.ok(Buffer.from(await readFileBytes(a, { chunkBytes })).equals(Buffer.from(payload)), `read, chunk ${chunkBytes}`);
    assert.ok(Buffer.from(readFileBytesSync(s, { chunkBytes })).equals(Buffer.from(payload)), `readSync, chunk ${chunkBytes}`);
  }
  writeFileSync(join(tmp, 'empty.bin'), new Uint8Array(0));
  assert.is((await readFileBytes(join(tmp, 'empty.bin'), { chunkBytes: 3 })).length, 0);
});

test('what cannot be read back is not written; what cannot be held is not read', async () => {
  const target = join(tmp, 'too-big.bin');
  let e = await rejects(writeFileAtomic(target, payload, { maxBytes: 999 }));
  assert.match(e.message, /refusing to write .*too-big\.bin: 1000 bytes is more than the 999 bytes selfish-rnn can read back; nothing was written/);
  assert.is(e.code, 'EFBIG');
  e = throwsSync(() => writeFileAtomicSync(target, payload, { maxBytes: 999 }));
  assert.match(e.message, /refusing to write/);
  assert.not.ok(existsSync(target));
  writeFileSync(target, payload);
  e = await rejects(readFileBytes(target, { maxBytes: 999 }));
  assert.match(e.message, /cannot read .*too-big\.bin: it is 1000 bytes, more than the 999 bytes that can be read into memory/);
  e = throwsSync(() => readFileBytesSync(target, { maxBytes: 999 }));
  assert.is(e.code, 'EFBIG');
  const contents = { meta: null, tensors: { w: { dtype: 'u8' as const, shape: [1000], data: payload } } };
  const size = encodeCheckpoint(contents).length;
  e = throwsSync(() => encodeCheckpoint(contents, { maxBytes: size - 1 }));
  assert.is(e.message, `selfish-rnn: the checkpoint would be ${size} bytes, more than the ${size - 1} bytes selfish-rnn can read back; nothing was written`);
});

test('readFileBytes refuses FIFOs and devices at once, naming the path and what it is', async () => {
  const fifo = join(tmp, 'pipe');
  spawnSync('mkfifo', [fifo]);
  assert.ok(existsSync(fifo), 'mkfifo works here');
  for (const [path, kind] of [[fifo, 'a FIFO'], ['/dev/zero', 'a character device']] as const) {
    const t0 = Date.now();
    let e = await rejects(readFileBytes(path));
    assert.is(e.message, `selfish-rnn: cannot read ${path}: it is not a regular file (${kind})`);
    assert.is(e.code, 'ENOTREG');
    e = throwsSync(() => readFileBytesSync(path));
    assert.is(e.code, 'ENOTREG');
    assert.ok(Date.now() - t0 < 5000, 'at once');
  }
});

test('CLI: info, eval, generate, export and --resume refuse FIFOs and devices with exit 2, at once', async () => {
  const { last } = await tinyCheckpoints();
  const fifo = join(tmp, 'cli-pipe.ckpt');
  spawnSync('mkfifo', [fifo]);
  const runDir = join(tmp, 'fifo-run');
  mkdirSync(runDir);
  spawnSync('mkfifo', [join(runDir, 'best.ckpt')]);
  spawnSync('mkfifo', [join(runDir, 'last.ckpt')]);
  void last;
  const cases: [string[], RegExp][] = [
    [['info', '/dev/zero'], /\/dev\/zero is not a checkpoint file \(it is a character device\)/],
    [['info', fifo], /cli-pipe\.ckpt is not a checkpoint file \(it is a FIFO\)/],
    [['eval', fifo], /is not a checkpoint file \(it is a FIFO\)/],
    [['generate', fifo], /is not a checkpoint file \(it is a FIFO\)/],
    [['export', fifo, '--out', join(tmp, 'x.safetensors')], /is not a checkpoint file \(it is a FIFO\)/],
    [['info', runDir], /fifo-run\/best\.ckpt is not a checkpoint file \(it is a FIFO\)/],
    [['train', '--resume', fifo], /is not a checkpoint file \(it is a FIFO\)/],
    [['train', '--resume', runDir], /fifo-run\/last\.ckpt is not a checkpoint file \(it is a FIFO\)/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.is(r.status, 2, `${args.join(' ')}: exit ${r.status} after ${r.seconds} s\n${r.err}`);
    assert.match(r.err, re, args.join(' '));
    assert.is(r.out, '');
  }
});

test('CLI: export refuses to write over its own input (any spelling of the path), exit 2, checkpoint intact', async () => {
  const { best } = await tinyCheckpoints();
  const dir = join(tmp, 'export-run');
  mkdirSync(dir);
  const ckpt = join(dir, 'best.ckpt');
  writeFileSync(ckpt, best);
  symlinkSync(ckpt, join(tmp, 'link.ckpt'));
  const cases: [string[], string | undefined][] = [
    [['export', ckpt, '--out', ckpt], undefined],
    [['export', dir, '--out', ckpt], undefined],
    [['export', ckpt, '--out', join(tmp, 'link.ckpt')], undefined],
    [['export', 'best.ckpt', '--out', `./${relative(dir, ckpt)}`], dir],
    [['export', join(dir, '..', 'export-run', 'best.ckpt'), '--out', ckpt], undefined],
  ];
  for (const [args, cwd] of cases) {
    const r = run(args, cwd);
    assert.is(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.err}`);
    assert.match(r.err, /--out \S+ is the checkpoint being exported; give another file name/);
    assert.ok(Buffer.from(readFileSync(ckpt)).equals(Buffer.from(best)), 'the checkpoint is unchanged');
  }
  const r = run(['export', ckpt, '--out', join(dir, 'model.safetensors')]);
  assert.is(r.status, 0, r.err);
});

test.run();
