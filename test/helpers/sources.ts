// The repository's TypeScript sources, for tests that read the code itself (layering, registry).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from build/test). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every .ts file below `dir`, skipping generated code. */
export function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'generated' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}
