import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCourseFile } from "../../src/content/index.ts";
import {
  createLearnerState,
  DEFAULT_BKT_PARAMS,
  fitKnowledgeModel,
  recordResponse,
} from "../../src/engine/index.ts";
import { practiceLog } from "../../src/records/index.ts";
import { compileRuntime, enginePracticeItem, simulationCourse } from "../../src/tutor/runtime.ts";
import { createHarness, FIXTURES, questionIn } from "./harness.ts";

describe("a course's runtime with a knowledge model fitted on its practice", () => {
  it("takes BKT, the logistic predictor and the BKT-alone skills from the fit", async () => {
    const course = await loadCourseFile(join(FIXTURES, "mini.yaml"));
    // A class that skips every question: the fit expects little of a new learner.
    const h = await createHarness();
    for (let l = 0; l < 30; l++) {
      questionIn(await h.send({ learner: `l${l}`, text: "start" }));
      for (let k = 0; k < 6; k++) await h.send({ learner: `l${l}`, text: "/skip" });
    }
    const log = await practiceLog({ store: h.store, course, tenants: ["school"], limit: 1000 });
    const fit = fitKnowledgeModel(log, { bkt: { seed: 1 } });
    const plain = compileRuntime(course);
    const fitted = compileRuntime(course, fit.knowledge);
    expect(plain.model.logistic).toBeUndefined();
    expect(fitted.model.logistic).toBe(fit.knowledge.logistic);
    const halves = "mini/halves";
    expect(fitted.model.bktParams(halves)).toEqual(
      fit.knowledge.bkt[halves] ?? fit.knowledge.defaultBkt,
    );
    expect(plain.model.bktParams(halves)).toEqual(
      course.knowledge.bkt?.halves ?? DEFAULT_BKT_PARAMS,
    );
    for (const skillId of fit.knowledge.bktAloneSkills)
      expect(fitted.model.bktDecidesAlone(skillId)).toBe(true);

    // Right answers from P(known) 0.3: BKT alone masters the skill at the third; with the
    // logistic model, which has seen this class fail, mastery waits for more evidence.
    const item = enginePracticeItem(course, course.itemsFor("halves")[0] as never);
    const masteredAfter = (bktAloneSkills: string[]): number => {
      const { model } = compileRuntime(course, {
        ...fit.knowledge,
        bkt: { [halves]: { prior: 0.3, learn: 0.15, forget: 0, guess: 0.2, slip: 0.1 } },
        bktAloneSkills,
      });
      const state = createLearnerState();
      for (let k = 1; k <= 30; k++) {
        recordResponse(state, model, { item, isCorrect: true, at: 0 });
        if (state.skills[halves]?.isMastered) return k;
      }
      return Number.POSITIVE_INFINITY;
    };
    expect(masteredAfter([halves])).toBe(3);
    expect(masteredAfter([])).toBeGreaterThan(3);
  });

  it("gives the simulation the course's graph, and per skill its items and templates", async () => {
    const course = await loadCourseFile(join(FIXTURES, "mini.yaml"));
    const simulated = simulationCourse(course);
    expect(simulated.graph.skillIds).toEqual(["mini/halves", "mini/add"]);
    expect(simulated.graph.prerequisitesOf("mini/add")).toEqual(["mini/halves"]);
    expect(simulated.items.get("mini/halves")?.map((i) => i.id)).toEqual([
      "mini/half-of-8",
      "mini/half-of-10",
      "mini/half-choice",
      "mini/half-word",
      "mini/half-explain",
    ]);
    // The template is one item, as the tutor counts its instances.
    expect(simulated.items.get("mini/add")?.map((i) => i.id)).toEqual([
      "mini/add-1",
      "mini/add-2",
      "mini/add-mixed",
      "mini/add-like",
    ]);
    for (const [skillId, items] of simulated.items)
      for (const item of items) expect(item.skillIds).toEqual([skillId]);
  });
});
