// The recurrent-weight interface moved down into the ops (src/ops/weight-operator.ts), where the
// layers that use it live; these names keep older imports compiling.
export {
  DenseOperator as DenseWeight, weightOperator as asRecurrentWeight, type WeightOperator as RecurrentWeight,
} from '../ops/weight-operator.js';
