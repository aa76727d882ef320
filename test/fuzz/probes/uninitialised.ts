// A deliberately wrong reader for the harness's own test: its result is memory it never wrote.
// The twin (a fresh thread with a poisoned heap) must disagree with the campaign about it.
import { Tensor, tensor } from '../../../src/index.js';

export function judge(input: { n: number }): string {
  // Leave some values behind first, as earlier inputs do in a campaign.
  const old = tensor(Array.from({ length: input.n }, (_, i) => i + 1));
  old.dispose();
  const fresh = new Tensor([input.n]); // contents unspecified
  try {
    return fresh.data.join(',');
  } finally {
    fresh.dispose();
  }
}
