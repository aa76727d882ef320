// The non-monotone trigger of NT-ASGD: when to switch from SGD to (SNT-)ASGD. It is the rule of
// awd-lstm-lm's main.py (which Selfish-RNN copies), evaluated once per epoch on the validation
// loss L, with `history` = the validation losses of the earlier SGD epochs:
//   fire  ⟺  len(history) > nonmono  and  L > min(history[:-nonmono])
//   then history.append(L)
// i.e. L is worse than the best loss excluding the last `nonmono` epochs. (The AWD-LSTM paper's
// text, "worse than the best of the last n", is a typo confirmed in awd-lstm-lm issues #13/#47/#73.)
// Firing is irreversible: once fired, observe() returns false and records nothing (main.py stops
// consulting the rule after the switch).
// NaN follows Python: `NaN > x` is false, and min() keeps its running minimum unless `x < m`.

export interface NonMonotoneTriggerState {
  nonmono: number;
  /** Validation losses seen so far; non-finite ones as the strings 'NaN', 'Infinity', '-Infinity'. */
  history: (number | string)[];
  /** Index (in observe calls) of the call that fired, or null. */
  firedAt: number | null;
}

export class NonMonotoneTrigger {
  readonly nonmono: number;
  private history: number[] = [];
  private firedAtCall: number | null = null;

  constructor(nonmono = 5) {
    // Python's history[:-0] is empty (min() would raise), so nonmono must be at least 1.
    if (!Number.isInteger(nonmono) || nonmono < 1) throw new RangeError(`selfish-rnn: the non-monotone interval must be an integer ≥ 1, got ${nonmono}`);
    this.nonmono = nonmono;
  }

  /** Whether the trigger has fired (the optimizer should now be ASGD). */
  get fired(): boolean {
    return this.firedAtCall !== null;
  }

  /** The call index (0-based: the epoch's position among observe calls) at which it fired. */
  get firedAt(): number | null {
    return this.firedAtCall;
  }

  /** The validation losses observed while SGD was running. */
  get losses(): readonly number[] {
    return this.history;
  }

  /** Feeds one epoch's validation loss; true exactly when this loss triggers the switch. */
  observe(valLoss: number): boolean {
    if (typeof valLoss !== 'number') throw new TypeError(`selfish-rnn: NonMonotoneTrigger.observe expects a number, got ${typeof valLoss}`);
    if (this.fired) return false;
    const h = this.history;
    const fire = h.length > this.nonmono && valLoss > pythonMin(h, h.length - this.nonmono);
    if (fire) this.firedAtCall = h.length;
    h.push(valLoss);
    return fire;
  }

  /** JSON-safe state (exact: finite numbers survive JSON, the others are spelled out). */
  stateDict(): NonMonotoneTriggerState {
    return { nonmono: this.nonmono, history: this.history.map((x) => (Number.isFinite(x) ? x : String(x))), firedAt: this.firedAtCall };
  }

  loadStateDict(state: NonMonotoneTriggerState): void {
    if (state?.nonmono !== this.nonmono) throw new RangeError(`selfish-rnn: NonMonotoneTrigger.loadStateDict: nonmono is ${this.nonmono}, the state has ${state?.nonmono}`);
    if (!Array.isArray(state.history)) throw new TypeError('selfish-rnn: NonMonotoneTrigger.loadStateDict: history must be an array');
    const history = state.history.map((x, i) => {
      if (typeof x === 'number' && Number.isFinite(x)) return x;
      if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
      throw new TypeError(`selfish-rnn: NonMonotoneTrigger.loadStateDict: history[${i}] = ${JSON.stringify(x)} is not a loss`);
    });
    const at = state.firedAt;
    if (at !== null && !(Number.isInteger(at) && at >= 0 && at < history.length)) {
      throw new RangeError(`selfish-rnn: NonMonotoneTrigger.loadStateDict: firedAt ${at} does not index the ${history.length} losses`);
    }
    this.history = history;
    this.firedAtCall = at;
  }
}

/** Python's min() of xs[0..end): the first element, replaced by any later x with x < current. */
function pythonMin(xs: readonly number[], end: number): number {
  let m = xs[0]!;
  for (let i = 1; i < end; i++) if (xs[i]! < m) m = xs[i]!;
  return m;
}
