// Model families that ship with the library but are written on its public API alone, as a user's
// would be (each file imports nothing but ../api.js), registered through the same public call.
import { registerModelFamily } from '../api.js';
import { gru } from './gru.js';

for (const f of [gru]) registerModelFamily(f);

export { gru, gruLayer, GRU, GRULanguageModel, gruFields, type GruConfig, type GruWeights, type GruResult } from './gru.js';
