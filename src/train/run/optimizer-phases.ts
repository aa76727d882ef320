// The optimizer side of a run, between epochs: which optimizer is in use and when it changes.
//   sgd    plain SGD (Selfish-RNN / AWD phase 1). At each epoch end the non-monotone trigger (or
//          --asgd-epoch) may switch to SNT-ASGD (sparse weights: per-weight averaging) or ASGD
//          (dense); with --lr-decay < 1 Zaremba's step decay, and a switch only at
//          --asgd-epoch (the decay goes on while averaging).
//   asgd   averaging; validation and the best model use the averaged weights (`withAveraged`).
//   adam   Adam(β1 = 0) with ReduceLROnPlateau (the official Adam ablation); sparse values count
//          steps per entry, so a regrown weight starts like a fresh parameter.
//   finetune (config.finetune): ASGD from the start; the same non-monotone rule stops the run.
// Its whole state (phase, optimizer, trigger, plateau) saves and loads as one piece.
import type { LanguageModel } from '../../models/index.js';
import { Adam } from '../../optim/adam.js';
import { ASGD } from '../../optim/asgd.js';
import { NonMonotoneTrigger, type NonMonotoneTriggerState } from '../../optim/nt-trigger.js';
import type { Optimizer, OptimizerStateDict, OptimizerStateMeta } from '../../optim/optimizer.js';
import { SGD } from '../../optim/sgd.js';
import { SNTASGD } from '../../optim/snt-asgd.js';
import type { TrainConfig } from '../config.js';
import { ReduceLROnPlateau, type PlateauState } from '../../optim/plateau.js';
import { sparseValues } from '../weights.js';

export type Phase = 'sgd' | 'asgd' | 'adam';

/** The serialisable part (JSON); the optimizer's arrays go beside it. */
export interface OptimizerPhasesState {
  phase: Phase;
  optimizer: OptimizerStateMeta;
  trigger: NonMonotoneTriggerState;
  plateau: PlateauState | null;
}

/** What an epoch end changed. */
export interface PhaseChange {
  /** The optimizer switched to (SNT-)ASGD in this epoch. */
  switched: boolean;
  /** The finetune stop rule fired: the run is over. */
  stop: boolean;
}

export class OptimizerPhases {
  private current: Optimizer;
  private phaseValue: Phase;
  private readonly trigger: NonMonotoneTrigger;
  private plateau: ReduceLROnPlateau | null;

  constructor(private readonly config: TrainConfig, private readonly model: LanguageModel) {
    this.phaseValue = config.finetune ? 'asgd' : config.optimizer === 'adam' ? 'adam' : 'sgd';
    this.current = this.create(this.phaseValue);
    this.trigger = new NonMonotoneTrigger(config.nonmono);
    this.plateau = this.phaseValue === 'adam' ? new ReduceLROnPlateau(0.5, 2, 0) : null;
  }

  get optimizer(): Optimizer {
    return this.current;
  }

  get phase(): Phase {
    return this.phaseValue;
  }

  /** Applies the phase's rule to the epoch's validation loss (`epoch` = the epoch just completed, 1-based). */
  endOfEpoch(valLoss: number, epoch: number): PhaseChange {
    const c = this.config;
    if (c.finetune) return { switched: false, stop: this.trigger.observe(valLoss) };
    const decay = (c.lrDecay ?? 1) < 1;
    // Zaremba et al.: lr constant for lrDecayAfter epochs, then × lrDecay per epoch. The decay
    // goes on after a switch to (SNT-)ASGD, which then averages the iterates of a decaying lr.
    if (decay && this.phaseValue !== 'adam') this.current.lr = c.lr * c.lrDecay! ** Math.max(0, epoch + 1 - (c.lrDecayAfter ?? 0));
    if (this.phaseValue === 'sgd') {
      // The NT trigger (not under a decay schedule, whose loss falls by construction), or the
      // forced switch epoch (--asgd-epoch).
      const fired = !decay && this.trigger.observe(valLoss);
      if (fired || ((c.asgdEpoch ?? 0) > 0 && epoch >= c.asgdEpoch)) {
        this.replace('asgd', this.current.lr);
        return { switched: true, stop: false };
      }
    } else if (this.phaseValue === 'adam') {
      const lr = this.plateau!.step(valLoss, this.current.lr);
      if (lr !== null) this.current.lr = lr;
    }
    return { switched: false, stop: false };
  }

  /** Puts the averaged weights into the model when averaging (the ASGD phase); returns whether it did. */
  swapAveraged(): boolean {
    if (this.phaseValue !== 'asgd') return false;
    (this.current as ASGD).swapAveraged();
    return true;
  }

  /** Undoes swapAveraged (call with its result). */
  swapBack(swapped: boolean): void {
    if (swapped) (this.current as ASGD).swapBack();
  }

  stateDict(): { meta: OptimizerPhasesState; arrays: OptimizerStateDict['arrays'] } {
    const od = this.current.stateDict();
    return { meta: { phase: this.phaseValue, optimizer: od.meta, trigger: this.trigger.stateDict(), plateau: this.plateau?.stateDict() ?? null }, arrays: od.arrays };
  }

  loadStateDict(meta: OptimizerPhasesState, arrays: OptimizerStateDict['arrays']): void {
    if (meta.phase !== this.phaseValue) this.replace(meta.phase);
    this.current.loadStateDict({ meta: meta.optimizer, arrays });
    this.trigger.loadStateDict(meta.trigger);
    if (meta.plateau) {
      this.plateau ??= new ReduceLROnPlateau(0.5, 2, 0);
      this.plateau.loadStateDict(meta.plateau);
    }
  }

  dispose(): void {
    this.current.dispose();
  }

  private replace(phase: Phase, lr = this.config.lr): void {
    const next = this.create(phase, lr);
    this.current.dispose();
    this.current = next;
    this.phaseValue = phase;
  }

  private create(phase: Phase, lr = this.config.lr): Optimizer {
    return phaseOptimizer(this.config, this.model, phase, lr);
  }
}

/** The optimizer a run of `config` uses over `model`'s parameters in `phase` (fresh: no state yet). */
export function phaseOptimizer(c: TrainConfig, model: LanguageModel, phase: Phase, lr = c.lr): Optimizer {
  const params = model.parameters();
  // Sparse values count Adam steps per entry, so a regrown weight starts like a fresh parameter.
  if (phase === 'adam') return new Adam(params, { lr: c.lr, betas: [0, 0.999], eps: 1e-9, weightDecay: c.wdecay, sparse: sparseValues(model) });
  if (phase === 'sgd') return new SGD(params, { lr: c.lr, weightDecay: c.wdecay });
  const sparse = sparseValues(model);
  const o = { lr, t0: 0, lambd: 0, weightDecay: c.wdecay };
  return sparse.length > 0 ? new SNTASGD(params, { ...o, sparse }) : new ASGD(params, o);
}
