// The parallel kernels of the standard build: thread shares against the single calls and the
// TypeScript reference (the cases: test/helpers/parallel-kernel-cases.ts).
import { test } from 'uvu';
import { registerParallelKernelTests } from './helpers/parallel-kernel-cases.js';

registerParallelKernelTests('standard SIMD');
test.run();
