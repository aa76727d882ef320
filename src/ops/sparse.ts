// The sparse-weight ops under their former names. Dense and CSR weights now share one
// implementation per op (./linear.ts, ./embedding.ts) through the weight operator.
export { linear as sparseLinear, weightMatmul as sparseMatmul } from './linear.js';
export { embedding as sparseEmbedding } from './embedding.js';
export { setSparseTransposeForm, type TransposeForm } from './weight-operator.js';
