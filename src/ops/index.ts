// All ops, re-exported. Importing this file registers every op in the registry.
export { add, sub, mul, scale, neg } from './arithmetic.js';
export { tanh, sigmoid, relu, exp, log } from './unary.js';
export { sum, mean } from './reduce.js';
export { matmul } from './matmul.js';
export type { MatmulOptions } from './matmul.js';
export { reshape, transpose, slice, concat } from './shape.js';
export { embedding } from './embedding.js';
export { dropout, dropoutMask } from './dropout.js';
export type { DropoutOptions } from './dropout.js';
export { softmax, logSoftmax, crossEntropy } from './softmax.js';
export { mixtureNLL } from './mos.js';
export { lstmLayer, type LstmWeights, type LstmState, type LstmResult } from './lstm.js';
export { linear, weightMatmul } from './linear.js';
export { sparseMatmul, sparseLinear, sparseEmbedding } from './sparse.js';
export { DenseOperator, CsrOperator, weightOperator, weightShape, setSparseTransposeForm } from './weight-operator.js';
export type { WeightOperator, WeightLike, TransposeForm } from './weight-operator.js';
export { mosDecoderNLL } from './mos-decoder.js';
export type { MosDecoderOptions } from './mos-decoder.js';
