// What would silently go wrong is refused with a message a user can act on, or made correct:
// disposed tensors read anywhere, parameters cached across a topology update, backward through a
// freed graph or a disposed input, wrong argument types from plain JavaScript, misspelt options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryStats, mul, sum, tensor, tidy } from '../src/index.js';

const leaf = (values: number[]) => tensor(values, undefined, { requiresGrad: true, persistent: true });

function freeLeaf(...ts: ReturnType<typeof leaf>[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
    t.dispose();
  }
}

// ---- the tape ------------------------------------------------------------------------------------

test('backward through a subgraph freed by an earlier backward is refused; retainGraph makes it correct', () => {
  const x = leaf([1, 2, 3]);
  tidy(() => {
    const y = mul(x, x);
    sum(y).backward();
    assert.throws(() => sum(mul(y, tensor(3))).backward(), /graph through 'mul' \(output \[3\]\) was already freed by an earlier backward\(\); pass \{ retainGraph: true \}/);
  });
  assert.equal(Array.from(x.grad!.data), [2, 4, 6], 'the refused pass changed nothing');
  x.zeroGrad();
  tidy(() => {
    const y = mul(x, x);
    sum(y).backward({ retainGraph: true });
    sum(mul(y, tensor(3))).backward();
  });
  assert.equal(Array.from(x.grad!.data), [8, 16, 24]);
  freeLeaf(x);
  assert.is(memoryStats().liveBytes, 0, 'nothing leaked (no .grad on the intermediate)');
});

test('a second backward() from the same loss is refused, not a silent no-op', () => {
  const x = leaf([1, 2]);
  tidy(() => {
    const loss = sum(mul(x, x));
    loss.backward();
    assert.throws(() => loss.backward(), /already freed by an earlier backward\(\)/);
    const again = sum(mul(x, x));
    again.backward(undefined, { retainGraph: true });
    again.backward();
  });
  assert.equal(Array.from(x.grad!.data), [2 + 4, 4 + 8]);
  freeLeaf(x);
});

test("disposing an op's input before backward() is refused before any gradient is touched", () => {
  const x = leaf([1, 1, 1]);
  tidy(() => {
    const c = tensor([2, 2, 2]);
    const loss = sum(mul(x, c));
    c.dispose();
    tensor([100, 100, 100]); // would reuse c's memory
    assert.throws(() => loss.backward(), /input 1 \[3\] of 'mul' was disposed after the forward/);
  });
  assert.is(x.grad, null);
  freeLeaf(x);
});

test('backward options are checked', () => {
  const x = leaf([1]);
  tidy(() => {
    const loss = sum(mul(x, x));
    assert.throws(() => loss.backward({ retainGrpah: true } as never), /backward\(\): unknown option 'retainGrpah' \(options: retainGraph\)/);
  });
  freeLeaf(x);
});

test('everything freed', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
