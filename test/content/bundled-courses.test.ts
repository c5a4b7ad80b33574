import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Course,
  checkAnswer,
  type ItemDefinition,
  listCourseFiles,
  loadCourseFile,
} from "../../src/content/index.ts";
import { createRng } from "../../src/engine/index.ts";

const COURSES = join(import.meta.dirname, "../../courses");

async function load(id: string): Promise<Course> {
  return loadCourseFile(join(COURSES, `${id}.yaml`));
}

/** Authored items and 20 draws of every template. */
function everyItem(course: Course): ItemDefinition[] {
  const items: ItemDefinition[] = [];
  const rng = createRng(`bundled/${course.id}`);
  for (const skill of course.skills) {
    items.push(...course.itemsFor(skill.id));
    for (const template of course.templatesFor(skill.id)) {
      for (let k = 0; k < 20; k++) items.push(course.drawInstance(template, rng) as ItemDefinition);
    }
  }
  return items;
}

describe("the bundled courses", () => {
  it("are valid and listed", async () => {
    const files = await listCourseFiles(COURSES);
    expect(files.map((f) => f.split("/").at(-1))).toEqual(["fractions.yaml", "python-basics.yaml"]);
  });

  it.each(["fractions", "python-basics"])(
    "%s: every answer passes its own checker, and no known wrong answer does",
    async (id) => {
      const course = await load(id);
      for (const item of everyItem(course)) {
        if (item.type === "free") continue;
        expect(checkAnswer(item, item.answer).verdict, `${item.id}: ${item.answer}`).toBe(
          "correct",
        );
        for (const feedback of item.feedback) {
          expect(
            checkAnswer(item, feedback.answer).verdict,
            `${item.id}: feedback ${feedback.answer}`,
          ).toBe("incorrect");
        }
      }
    },
  );

  it("fractions: 8 to 12 skills with real prerequisites, templates, misconceptions and hint ladders", async () => {
    const course = await load("fractions");
    expect(course.skills.length).toBeGreaterThanOrEqual(8);
    expect(course.skills.length).toBeLessThanOrEqual(12);
    expect(course.skills[0]?.prerequisites).toEqual([]);
    expect(course.skills.filter((s) => s.prerequisites.length > 0).length).toBeGreaterThanOrEqual(
      course.skills.length - 2,
    );
    for (const skill of course.skills) {
      expect(course.templatesFor(skill.id).length, skill.id).toBeGreaterThan(0);
      expect(skill.misconceptions.length, skill.id).toBeGreaterThan(0);
      for (const item of course.itemsFor(skill.id))
        expect(item.hints.length, item.id).toBeGreaterThanOrEqual(2);
    }
    const last = course.skills.at(-1);
    expect(course.graph.ancestorsOf(last?.id as string).length).toBeGreaterThanOrEqual(4);
  });

  it("python-basics: a non-math course with output prediction, choices and text answers", async () => {
    const course = await load("python-basics");
    const items = course.skills.flatMap((s) => course.itemsFor(s.id));
    expect(
      items.some((i) => i.type === "text" && i.caseSensitive && i.prompt.includes("```")),
    ).toBe(true);
    expect(items.some((i) => i.type === "choice")).toBe(true);
    expect(course.skills.length).toBeGreaterThanOrEqual(6);
  });
});
