// The op registry: every op file registers its public ops here at import time. Tests read it to
// prove coverage (every differentiable op has a finite-difference gradient check), and
// `opTable()` prints the op × has-backward table.

export interface OpInfo {
  readonly name: string;
  /** Whether the op records a backward (every op that takes float inputs does). */
  readonly differentiable: boolean;
  /** File that defines it, for the coverage table. */
  readonly file: string;
}

const ops = new Map<string, OpInfo>();

export function registerOp(name: string, file: string, differentiable = true): void {
  if (ops.has(name)) throw new Error(`selfish-rnn: op '${name}' registered twice`);
  ops.set(name, { name, file, differentiable });
}

export function registeredOps(): OpInfo[] {
  return [...ops.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A Markdown table of the ops and whether they have a backward. */
export function opTable(): string {
  const rows = registeredOps().map((o) => `| ${o.name} | ${o.differentiable ? 'yes' : 'no'} | ${o.file} |`);
  return ['| op | backward | file |', '| --- | --- | --- |', ...rows].join('\n');
}
