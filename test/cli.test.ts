import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gervetText } from "./bench/fixtures.ts";
import { captureCli } from "./cli-capture.ts";
import { FIXTURES } from "./tutor/harness.ts";

describe("socra command line", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints usage for help", async () => {
    const help = await captureCli(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: socra [command]");
    expect(help.stdout).toContain("chat ");
  });

  it("exits 2 with a precise message on usage mistakes", async () => {
    const unknown = await captureCli(["fly"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "fly"');
    expect((await captureCli(["kt", "bench", "--train", "x"])).stderr).toContain(
      "--train and --test are required",
    );
    expect((await captureCli(["simulate", "--skills", "3"])).stderr).toContain(
      "--learners is required",
    );
    expect((await captureCli(["simulate", "--skills", "0", "--learners", "5"])).stderr).toContain(
      "--skills must be a positive integer",
    );
    expect(
      (
        await captureCli([
          "simulate",
          "--skills",
          "3",
          "--learners",
          "5",
          "--refit-learners",
          "1.5",
        ])
      ).stderr,
    ).toContain('--refit-learners must be a whole number, got "1.5"');
    expect(
      (await captureCli(["simulate", "--skills", "3", "--learners", "5", "--refit-rounds", "0"]))
        .stderr,
    ).toContain("--refit-rounds must be a positive integer");
    expect((await captureCli(["kt", "bench", "--bogus"])).code).toBe(2);
    expect((await captureCli(["course", "frobnicate"])).stderr).toContain(
      'Unknown course command "frobnicate"',
    );
    expect((await captureCli(["chat", "--store", "disk"])).stderr).toContain(
      "--store must be memory or redis",
    );
  });

  it("exits 1 naming a file it cannot read", async () => {
    const result = await captureCli([
      "kt",
      "bench",
      "--train",
      "/nonexistent/train.csv",
      "--test",
      "/nonexistent/test.csv",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot read /nonexistent/train.csv: ENOENT");
  });

  it("prints the bench as JSON with the documented fields", async () => {
    const dir = mkdtempSync(join(tmpdir(), "socra-cli-"));
    writeFileSync(join(dir, "train.csv"), gervetText(120, 1));
    writeFileSync(join(dir, "test.csv"), gervetText(40, 2, 5000));
    const result = await captureCli([
      "kt",
      "bench",
      "--train",
      join(dir, "train.csv"),
      "--test",
      join(dir, "test.csv"),
      "--model",
      "bkt",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const { models } = JSON.parse(result.stdout);
    expect(models).toHaveLength(1);
    expect(Object.keys(models[0]).sort()).toEqual([
      "accuracy",
      "auc",
      "fitSeconds",
      "model",
      "predictSeconds",
      "rmse",
      "rows",
    ]);
    expect(models[0].rows).toBe(40 * 16);
  });

  it("says why course fit finds nothing in the memory store", async () => {
    const result = await captureCli(["course", "fit", "fractions", "--store", "memory"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("memory store starts empty");
    expect(result.stdout).toContain("fractions: 0 first attempts by 0 learners");
    const out = await captureCli(["course", "fit", "fractions", "--out", "/nonexistent/x.json"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("No first attempts at fractions to fit on");
  });

  it("prints simulation runs as JSON with the documented fields", async () => {
    const result = await captureCli([
      "simulate",
      "--skills",
      "3",
      "--learners",
      "20",
      "--policy",
      "adaptive",
      "--seed",
      "2",
      "--refit-learners",
      "20",
      "--pilot-items",
      "0",
      "--refit-rounds",
      "2",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const { runs, comparisons } = JSON.parse(result.stdout);
    expect(
      runs.map((r: { generator: string; policy: string }) => `${r.generator}/${r.policy}`),
    ).toEqual(["bkt/adaptive", "logistic/adaptive"]);
    for (const key of [
      "policy",
      "generator",
      "itemsPerLearner",
      "postTestAccuracy",
      "underPracticeRate",
      "overPracticeItems",
    ]) {
      expect(runs[0]).toHaveProperty(key);
    }
    expect(comparisons[0]).toMatchObject({ generator: "bkt", policy: "adaptive" });
  });

  it("simulates a course by id or file, and needs one of --skills and --course", async () => {
    const byId = await captureCli([
      "simulate",
      "--course",
      "python-basics",
      "--learners",
      "10",
      "--policy",
      "fixed",
      "--json",
    ]);
    expect(byId.code).toBe(0);
    // Fixed practice: ten items on each of the course's nine skills.
    expect(JSON.parse(byId.stdout).runs[0]).toMatchObject({ policy: "fixed", itemsPerLearner: 90 });
    const byFile = await captureCli([
      "simulate",
      "--course",
      join(FIXTURES, "mini.yaml"),
      "--learners",
      "10",
      "--policy",
      "fixed",
      "--fixed-items",
      "3",
      "--json",
    ]);
    expect(JSON.parse(byFile.stdout).runs[0]).toMatchObject({ itemsPerLearner: 6 });
    const unknown = await captureCli(["simulate", "--course", "nope", "--learners", "10"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'No course "nope": fractions, python-basics, or a course file',
    );
    const neither = await captureCli(["simulate", "--learners", "10"]);
    expect(neither.stderr).toContain("simulate needs --skills N (a generated course) or --course");
  });
});

describe("socra course", () => {
  it("validates course files, listing every problem with its position, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "socra-course-"));
    const broken = join(dir, "broken.yaml");
    writeFileSync(
      broken,
      "id: x\ntitle: X\ndescription: d\nskills:\n  - id: a\n    name: A\n    explanation: e\n    prerequisites: [ghost]\n",
    );
    const result = await captureCli(["course", "validate", broken]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${broken}:8:21: skill "a" lists prerequisite "ghost", which is not a skill`,
    );
    expect(result.stdout).toContain(`${broken}:5:9: skill "a" has 0 item(s)`);
    expect(result.stdout).toContain("2 problem(s).");
  });

  it("validates the bundled courses and lists them", async () => {
    const validate = await captureCli(["course", "validate", "courses/fractions.yaml"]);
    expect(validate.stdout).toContain("courses/fractions.yaml: OK (fractions:");
    expect(validate.code).toBe(0);
    const list = await captureCli(["course", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("fractions");
  });

  it("prints the JSON Schema of course files", async () => {
    const schema = await captureCli(["course", "schema"]);
    expect(JSON.parse(schema.stdout)).toMatchObject({ title: "Socra course pack", type: "object" });
  });
});
