import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli.ts";
import { gervetText } from "./bench/fixtures.ts";

function capture(argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const code = main(argv);
  vi.restoreAllMocks();
  return { code, stdout: stdout.join(""), stderr: stderr.join("") };
}

describe("socra command line", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints usage for help and no command", () => {
    expect(capture([]).stdout).toContain("Usage: socra <command>");
    expect(capture(["help"]).code).toBe(0);
  });

  it("exits 2 with a precise message on usage mistakes", () => {
    const unknown = capture(["fly"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "fly"');
    expect(capture(["kt", "bench", "--train", "x"]).stderr).toContain(
      "--train and --test are required",
    );
    expect(capture(["simulate", "--skills", "3"]).stderr).toContain("--learners is required");
    expect(capture(["simulate", "--skills", "0", "--learners", "5"]).stderr).toContain(
      "--skills must be a positive integer",
    );
    expect(capture(["kt", "bench", "--bogus"]).code).toBe(2);
  });

  it("exits 1 naming a file it cannot read", () => {
    const result = capture([
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

  it("prints the bench as JSON with the documented fields", () => {
    const dir = mkdtempSync(join(tmpdir(), "socra-cli-"));
    writeFileSync(join(dir, "train.csv"), gervetText(120, 1));
    writeFileSync(join(dir, "test.csv"), gervetText(40, 2, 5000));
    const result = capture([
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

  it("prints simulation runs as JSON with the documented fields", () => {
    const result = capture([
      "simulate",
      "--skills",
      "3",
      "--learners",
      "20",
      "--policy",
      "adaptive",
      "--seed",
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
});
