import { describe, expect, it } from "vitest";
import { parseAktLong, parseGervetSplit, parseItemSkillMap } from "../../src/bench/index.ts";
import { ValidationError } from "../../src/engine/index.ts";
import { aktText, gervetText } from "./fixtures.ts";

const file = (name: string, text: string) => ({ name, text });
const HEADER = "user_id\titem_id\ttimestamp\tcorrect\tskill_id";

describe("dataset parsing", () => {
  it("reads the Gervet split: learners kept apart, rows in order, skills from the skill_id column", () => {
    const dataset = parseGervetSplit(
      file("train.csv", gervetText(30, 1)),
      file("test.csv", gervetText(10, 2, 1000)),
    );
    const [split] = dataset.splits;
    expect(split?.train).toHaveLength(30);
    expect(split?.test).toHaveLength(10);
    expect(dataset.log.rowCount).toBe(40 * 16);
    expect(dataset.log.skillIds).toEqual(["0", "1"]);
  });

  it("uses the item-to-skill map when given one", () => {
    const map = parseItemSkillMap(file("q.csv", "item_id,skill_index\n0,7\n0,8\n1,7\n"));
    expect(map.get("0")).toEqual(["7", "8"]);
    const dataset = parseGervetSplit(
      file("train.csv", `${HEADER}\n1\t0\t0\t1\t99\n1\t1\t0\t0\t98\n`),
      file("test.csv", `${HEADER}\n2\t1\t0\t1\t98\n`),
      map,
    );
    expect(dataset.log.skillIds).toEqual(["7", "8"]);
    expect(() =>
      parseGervetSplit(
        file("train.csv", `${HEADER}\n1\t5\t0\t1\t99\n`),
        file("test.csv", `${HEADER}\n2\t1\t0\t1\t98\n`),
        map,
      ),
    ).toThrow('train.csv:2: field "item_id": item 5 is not in the item-to-skill map');
  });

  it("reads the AKT long format: one response per answer event, folds as splits, quoted names", () => {
    const dataset = parseAktLong(file("akt.csv", aktText(25, 3)));
    expect(dataset.log.rowCount).toBe(25 * 16);
    expect(dataset.splits.map((s) => s.name)).toEqual([
      "fold 1",
      "fold 2",
      "fold 3",
      "fold 4",
      "fold 5",
    ]);
    expect(dataset.splits[0]?.test).toHaveLength(5);
    expect(dataset.log.skillIds).toContain("Skill 0, part one");
    const tags = (row: number) =>
      (dataset.log.skillOffsets[row + 1] as number) - (dataset.log.skillOffsets[row] as number);
    expect(tags(0)).toBe(2);
    expect(tags(1)).toBe(1);
  });

  const bad: [string, () => unknown, string][] = [
    [
      "an empty file",
      () => parseGervetSplit(file("t.csv", ""), file("u.csv", gervetText(2, 1))),
      "t.csv: the file is empty",
    ],
    [
      "a header without data",
      () => parseGervetSplit(file("t.csv", `${HEADER}\n`), file("u.csv", gervetText(2, 1))),
      "t.csv: no data rows after the header",
    ],
    [
      "a comma-separated file where tabs are expected",
      () =>
        parseGervetSplit(
          file("t.csv", "user_id,item_id,timestamp,correct,skill_id\n1,2,0,1,3\n"),
          file("u.csv", gervetText(2, 1)),
        ),
      "t.csv:1: missing column(s) user_id, item_id, correct, skill_id (columns separated by tab",
    ],
    [
      "a row with a missing field",
      () =>
        parseGervetSplit(
          file("t.csv", `${HEADER}\n1\t2\t0\t1\t3\n1\t2\t0\t1\n`),
          file("u.csv", gervetText(2, 1)),
        ),
      "t.csv:3: expected 5 fields, found 4",
    ],
    [
      "a correctness that is not 0 or 1",
      () =>
        parseGervetSplit(
          file("t.csv", `${HEADER}\n1\t2\t0\tyes\t3\n`),
          file("u.csv", gervetText(2, 1)),
        ),
      't.csv:2: field "correct": must be 0 or 1, found "yes"',
    ],
    [
      "an empty id",
      () =>
        parseGervetSplit(
          file("t.csv", `${HEADER}\n1\t\t0\t1\t3\n`),
          file("u.csv", gervetText(2, 1)),
        ),
      't.csv:2: field "item_id": is empty',
    ],
    [
      "AKT rows of one answer that disagree",
      () =>
        parseAktLong(
          file(
            "a.csv",
            "user_id,user_idx,seq_idx,event_idx,problem_id,problem_idx,skill_idx,skill_name,correct,fold\n1,1,0,0,5,5,1,A,1,1\n1,1,1,0,5,5,2,B,0,1\n",
          ),
        ),
      'a.csv:3: field "correct": rows of answer event 0 disagree on correctness',
    ],
    [
      "AKT with a non-integer fold",
      () =>
        parseAktLong(
          file(
            "a.csv",
            "user_id,user_idx,seq_idx,event_idx,problem_id,problem_idx,skill_idx,skill_name,correct,fold\n1,1,0,0,5,5,1,A,1,x\n",
          ),
        ),
      'a.csv:2: field "fold": must be an integer, found "x"',
    ],
  ];

  it.each(bad)("names the file, line and field for %s", (_name, parse, message) => {
    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(message);
  });
});
