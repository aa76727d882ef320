// Finite-difference gradient checks for every differentiable op, and the coverage table:
// the test fails if a registered op has no gradient-check case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryStats, registeredOps } from '../src/index.js';
import { checkedOps, gradcheck, type GradCase } from './helpers/gradcheck.js';
import { coreCases } from './gradcases/core.js';
import { lstmCases } from './gradcases/lstm.js';
import { sparseGradCases } from './gradcases/sparse.js';
import { mosCases } from './gradcases/mos.js';
import { cellCases } from './gradcases/cells.js';
import { toolkitCases } from './gradcases/toolkit.js';
import { gruCases } from './gradcases/gru.js';

const cases: GradCase[] = [...coreCases, ...toolkitCases, ...lstmCases, ...sparseGradCases(), ...mosCases, ...cellCases, ...gruCases];

for (const c of cases) {
  test(`gradcheck ${c.op}: ${c.label}`, () => gradcheck(c));
}

test('every registered differentiable op has a gradient check', () => {
  const missing = registeredOps().filter((o) => o.differentiable && !checkedOps().has(o.name)).map((o) => o.name);
  assert.equal(missing, [], `ops without a gradient check: ${missing.join(', ')}`);
});

test('gradient checks free everything they allocate', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
