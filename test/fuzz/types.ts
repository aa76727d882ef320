// The contract between fuzz targets and their runners (scripts/fuzz.mjs, test/fuzz.test.ts).
// A target lives in test/fuzz/targets/<name>.ts and exports `target: FuzzTarget`.

/** What one campaign over one reader found. */
export interface FuzzReport {
  name: string;
  /** Inputs tried. */
  iterations: number;
  /** Inputs that loaded and worked. */
  accepted: number;
  /** Inputs refused with a clear error naming the file and the reason. */
  refused: number;
  /** Contract violations, one line each (input description: what went wrong). Empty = pass. */
  failures: string[];
}

export interface FuzzTarget {
  name: string;
  /** Tries `iterations` inputs derived from `seed` (same seed, same inputs). */
  run(iterations: number, seed: number): Promise<FuzzReport>;
}
