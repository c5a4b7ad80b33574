import { describe, expect, it } from "vitest";
import { chooseItem } from "../../src/engine/index.ts";

const candidates = [
  { id: "easy", predicted: 0.95 },
  { id: "right", predicted: 0.72 },
  { id: "hard", predicted: 0.3 },
  { id: "fair", predicted: 0.66 },
];

describe("item choice", () => {
  it("picks the predicted success closest to the 0.7 target", () => {
    expect(chooseItem(candidates, [], 1).id).toBe("right");
    expect(chooseItem(candidates, [], 1, { targetSuccess: 0.9 }).id).toBe("easy");
  });

  it("avoids items seen in the last K turns while alternatives exist", () => {
    expect(chooseItem(candidates, ["x", "right"], 1).id).toBe("fair");
    expect(chooseItem(candidates, ["a", "b", "c", "d", "e", "right"], 1).id).toBe("right"); // six turns ago: allowed
    expect(chooseItem(candidates, ["right", "fair"], 1, { noRepeatWithin: 1 }).id).toBe("fair");
  });

  it("falls back to the least recently seen item when all are recent", () => {
    expect(chooseItem(candidates, ["right", "fair", "hard", "easy"], 1).id).toBe("easy");
  });

  it("breaks ties by a seeded hash: the same seed replays, other seeds spread the choice", () => {
    const tied = Array.from({ length: 8 }, (_, k) => ({ id: `t${k}`, predicted: 0.7 }));
    expect(chooseItem(tied, [], "learner-1:4").id).toBe(chooseItem(tied, [], "learner-1:4").id);
    const chosen = new Set(Array.from({ length: 40 }, (_, seed) => chooseItem(tied, [], seed).id));
    expect(chosen.size).toBeGreaterThan(3);
    expect(chooseItem([...tied].reverse(), [], 9).id).toBe(chooseItem(tied, [], 9).id);
  });

  it("refuses an empty pool", () => {
    expect(() => chooseItem([], [], 1)).toThrow("No items to choose from");
  });
});
