import { ValidationError } from "./errors.ts";
import { hashSeed } from "./rng.ts";

/** An item with the learner's predicted chance of answering it correctly. */
export interface ItemCandidate {
  readonly id: string;
  readonly predicted: number;
}

export interface ItemChoiceOptions {
  /** Desirable difficulty: the success rate to aim for. */
  readonly targetSuccess?: number;
  /** Items shown in the last this-many turns are avoided while alternatives exist. */
  readonly noRepeatWithin?: number;
}

export const DEFAULT_ITEM_CHOICE_OPTIONS = {
  targetSuccess: 0.7,
  noRepeatWithin: 5,
} as const satisfies Required<ItemChoiceOptions>;

/**
 * Picks the item whose predicted success is closest to the target, skipping items seen in the
 * last `noRepeatWithin` turns unless nothing else is left (then the least recently seen). Equal
 * candidates are ordered by a hash of the seed and the item id, so a seed replays exactly while
 * different learners see different items.
 */
export function chooseItem(
  candidates: readonly ItemCandidate[],
  recentItemIds: readonly string[],
  seed: string | number,
  options: ItemChoiceOptions = {},
): ItemCandidate {
  const { targetSuccess, noRepeatWithin } = { ...DEFAULT_ITEM_CHOICE_OPTIONS, ...options };
  if (candidates.length === 0) throw new ValidationError("no_items", "No items to choose from");
  const recency = new Map<string, number>();
  recentItemIds.forEach((id, age) => {
    if (!recency.has(id)) recency.set(id, age);
  });
  const isRecent = (id: string): boolean =>
    (recency.get(id) ?? Number.POSITIVE_INFINITY) < noRepeatWithin;
  const fresh = candidates.filter((candidate) => !isRecent(candidate.id));
  if (fresh.length === 0) {
    // Everything was seen lately: the one seen longest ago.
    return [...candidates].sort(
      (a, b) => (recency.get(b.id) as number) - (recency.get(a.id) as number),
    )[0] as ItemCandidate;
  }
  const tieBreak = (id: string): number => hashSeed(`${seed}:${id}`);
  let best = fresh[0] as ItemCandidate;
  let bestDistance = Math.abs(best.predicted - targetSuccess);
  for (const candidate of fresh.slice(1)) {
    const distance = Math.abs(candidate.predicted - targetSuccess);
    const isTie = Math.abs(distance - bestDistance) < 1e-9;
    if (distance < bestDistance - 1e-9 || (isTie && tieBreak(candidate.id) < tieBreak(best.id))) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
