// torch.optim.lr_scheduler.ReduceLROnPlateau in 'min' mode with a relative threshold, as the
// Selfish-RNN Adam ablation uses it (factor 0.5, patience 2, threshold 0): after every epoch,
//   better ⟺ loss < best·(1 − threshold);  better → best = loss, bad = 0;  else bad += 1
//   bad > patience → lr ← max(lr·factor, minLr) (if it changes by more than 1e-8), bad = 0
// NaN is never better (Python's comparison), as in PyTorch.

export interface PlateauState {
  best: number | null;
  bad: number;
}

export class ReduceLROnPlateau {
  private best = Infinity;
  private bad = 0;

  constructor(readonly factor = 0.5, readonly patience = 2, readonly threshold = 0, readonly minLr = 0) {}

  /** Feeds one validation loss; returns the new lr, or null when it stays. */
  step(loss: number, lr: number): number | null {
    if (loss < this.best * (1 - this.threshold)) {
      this.best = loss;
      this.bad = 0;
    } else {
      this.bad++;
    }
    if (this.bad > this.patience) {
      this.bad = 0;
      const next = Math.max(lr * this.factor, this.minLr);
      if (lr - next > 1e-8) return next;
    }
    return null;
  }

  stateDict(): PlateauState {
    return { best: Number.isFinite(this.best) ? this.best : null, bad: this.bad };
  }

  loadStateDict(s: PlateauState): void {
    this.best = s.best ?? Infinity;
    this.bad = s.bad;
  }
}
