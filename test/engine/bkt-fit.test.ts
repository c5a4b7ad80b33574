import { describe, expect, it } from "vitest";
import {
  type BktParams,
  createResponseLogBuilder,
  createRng,
  fitBkt,
  fitBktSkill,
  type SkillSequences,
} from "../../src/engine/index.ts";

/** Sequences drawn from a BKT model with known parameters. */
function sample(params: BktParams, learners: number, length: number, seed: number): SkillSequences {
  const rng = createRng(seed);
  const correct = new Uint8Array(learners * length);
  const starts = new Int32Array(learners + 1);
  for (let l = 0; l < learners; l++) {
    starts[l] = l * length;
    let isKnown = rng.chance(params.prior);
    for (let t = 0; t < length; t++) {
      correct[l * length + t] = rng.chance(isKnown ? 1 - params.slip : params.guess) ? 1 : 0;
      isKnown = isKnown ? !rng.chance(params.forget) : rng.chance(params.learn);
    }
  }
  starts[learners] = learners * length;
  return { correct, starts };
}

describe("BKT fitting by EM", () => {
  const truth: BktParams = { prior: 0.35, learn: 0.15, forget: 0, guess: 0.2, slip: 0.1 };
  const sequences = sample(truth, 2000, 12, 7);

  it("recovers known parameters from 24,000 synthetic responses within 0.03", () => {
    const fit = fitBktSkill(sequences, { seed: 1 });
    for (const key of ["prior", "learn", "guess", "slip"] as const) {
      expect(Math.abs(fit.params[key] - truth[key]), key).toBeLessThan(0.03);
    }
    expect(fit.params.forget).toBe(0);
    expect(fit.responses).toBe(24_000);
  });

  it("recovers a forgetting rate when asked to fit one", () => {
    const forgetting = { ...truth, forget: 0.08 };
    const fit = fitBktSkill(sample(forgetting, 3000, 15, 11), { seed: 1, fitForget: true });
    expect(Math.abs(fit.params.forget - 0.08)).toBeLessThan(0.03);
    expect(Math.abs(fit.params.learn - 0.15)).toBeLessThan(0.04);
  });

  it("is deterministic for a seed", () => {
    const a = fitBktSkill(sequences, { seed: 5, restarts: 3 });
    const b = fitBktSkill(sequences, { seed: 5, restarts: 3 });
    expect(a).toEqual(b);
  });

  it("keeps fits inside configurable bounds", () => {
    const bounds = {
      prior: [0.01, 0.99],
      learn: [0.01, 0.5],
      forget: [0, 0.1],
      guess: [0.01, 0.15],
      slip: [0.01, 0.05],
      maxGuessPlusSlip: 0.2,
    } as const;
    const fit = fitBktSkill(sequences, { seed: 1, bounds });
    expect(fit.params.guess).toBeLessThanOrEqual(0.15);
    expect(fit.params.slip).toBeLessThanOrEqual(0.05);
    expect(fit.params.guess + fit.params.slip).toBeLessThanOrEqual(0.2 + 1e-12);
  });

  it("fits per skill from a log and pools skills with too little data", () => {
    const builder = createResponseLogBuilder();
    const rng = createRng(3);
    for (let l = 0; l < 300; l++) {
      for (let t = 0; t < 10; t++)
        builder.add({
          learnerId: `l${l}`,
          itemId: `a${t}`,
          skillIds: ["a"],
          isCorrect: rng.chance(0.6),
        });
    }
    builder.add({ learnerId: "l0", itemId: "rare", skillIds: ["rare"], isCorrect: true });
    const model = fitBkt(builder.build());
    expect(model.skills.get("a")?.responses).toBe(3000);
    expect(model.skills.get("rare")?.params).toEqual(model.pooled.params);
  });

  it("refuses to fit nothing", () => {
    expect(() => fitBktSkill({ correct: new Uint8Array(0), starts: new Int32Array([0]) })).toThrow(
      "No responses",
    );
  });
});
