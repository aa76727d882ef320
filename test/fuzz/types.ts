export interface FuzzReport { name: string; iterations: number; accepted: number; refused: number; failures: string[] }
