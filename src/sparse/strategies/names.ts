// The names of the strategies, derived from their tables (so the types, the CLI choices and the
// config checks cannot drift from what exists).
import { DEATH } from './death.js';
import { GROWTH } from './growth.js';
import { REDISTRIBUTION } from './redistribution.js';

export type DeathName = keyof typeof DEATH;
export type GrowthName = keyof typeof GROWTH;
export type RedistributionName = keyof typeof REDISTRIBUTION;

export const DEATH_NAMES = Object.keys(DEATH) as DeathName[];
export const GROWTH_NAMES = Object.keys(GROWTH) as GrowthName[];
export const REDISTRIBUTION_NAMES = Object.keys(REDISTRIBUTION) as RedistributionName[];
