// When an epoch's perplexity says the run has diverged although the loss is still a finite number:
// a learning rate far too large drives the loss to hundreds of nats per token, whose perplexity
// (e^loss) overflows to Infinity or the largest double. Such a run is not "finished"; it stopped
// learning.

/**
 * How many times worse than guessing uniformly over the vocabulary (perplexity = vocabulary size)
 * a model may be before we call the run diverged. A freshly initialised model is at about 1×, and
 * even an overfitted one stays within a few times of it; 1000× only happens to a broken run.
 */
export const DIVERGED_PPL_FACTOR = 1000;

/**
 * Why `loss` (mean NLL per token, nats) means the run diverged, or null if it does not: not
 * finite, a perplexity that overflows, or a perplexity above DIVERGED_PPL_FACTOR × vocabSize.
 */
export function divergedLoss(loss: number, vocabSize: number): string | null {
  if (!Number.isFinite(loss)) return `is ${loss}`;
  const ppl = Math.exp(loss);
  if (!(ppl <= Number.MAX_VALUE)) return `is ${loss.toPrecision(4)} nats per token (perplexity overflows)`;
  const limit = DIVERGED_PPL_FACTOR * Math.max(2, vocabSize);
  if (ppl > limit) {
    return `gives perplexity ${ppl.toExponential(2)}, over ${DIVERGED_PPL_FACTOR}× that of a uniform guess over the ${vocabSize} words`;
  }
  return null;
}
