import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/engine/index.ts";
import { HEATMAP_LIMITS, type HeatmapInput, renderHeatmap } from "../../src/tutor/heatmap.ts";

// The layout the renderer documents: text runs are w(n) = 12n − 2 px wide, cells 40 px on a
// 42 px pitch, the grid starts 16 (margin) + w(longest label) + 12 from the left and
// 16 + 20 (title) + 8 + 20 (column numbers) = 64 from the top.
const w = (characters: number) => Math.max(0, 12 * characters - 2);
const GRID_TOP = 64;
const PITCH = 42;
const CELL = 40;

function decode(png: Uint8Array) {
  // pngjs checks the signature, every chunk's CRC and the zlib stream while it reads.
  return PNG.sync.read(Buffer.from(png), { checkCRC: true });
}

type Rgba = [number, number, number, number];

function pixel(image: PNG, x: number, y: number): Rgba {
  const i = 4 * (y * image.width + x);
  return [
    image.data[i] ?? -1,
    image.data[i + 1] ?? -1,
    image.data[i + 2] ?? -1,
    image.data[i + 3] ?? -1,
  ];
}

/** The most frequent colour inside a cell: its fill, whatever digits or dot sit on it. */
function cellFill(image: PNG, gridLeft: number, row: number, column: number): Rgba {
  const counts = new Map<string, number>();
  const left = gridLeft + column * PITCH;
  const top = GRID_TOP + row * PITCH;
  for (let y = top + 1; y < top + CELL - 1; y++) {
    for (let x = left + 1; x < left + CELL - 1; x++) {
      const key = pixel(image, x, y).join(",");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const [best = ""] = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key);
  return best.split(",").map(Number) as Rgba;
}

const CLASS: HeatmapInput = {
  title: "Fractions — mastery by student and skill",
  rows: ["Ana", "Ben", "Chloé"],
  columns: ["Equivalent fractions", "Adding like fractions", "Mixed numbers"],
  values: [
    [0, 0.5, 1],
    [null, 0.25, 0.75],
    [1, null, 0],
  ],
  marks: [
    [false, false, true],
    [false, false, false],
    [true, false, false],
  ],
};
// The longest label is "Chloe" (5 characters), the longest key line "2  Adding like fractions" (24).
const CLASS_GRID_LEFT = 16 + w(5) + 12;

function expectError(run: () => unknown, code: string, message: RegExp) {
  expect(run).toThrow(ValidationError);
  expect(run).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
}

describe("renderHeatmap", () => {
  it("encodes a valid RGB PNG of the documented size", () => {
    const heatmap = renderHeatmap(CLASS);
    const image = decode(heatmap.png);
    const width = 32 + Math.max(w(40), w(5) + 12 + 3 * PITCH - 2, 334, w(24));
    const height = 162 + 42 * 3 + 20 * 3;
    expect([heatmap.width, heatmap.height]).toEqual([width, height]);
    expect([image.width, image.height]).toEqual([width, height]);
    expect(Array.from(heatmap.png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    // Every PNG ends with the same empty IEND chunk, whose CRC-32 is 0xAE426082.
    expect(Buffer.from(heatmap.png.subarray(-12)).toString("hex")).toBe("0000000049454e44ae426082");
  });

  it("sizes the image from the grid when the grid is the widest part", () => {
    const rows = Array.from({ length: 12 }, (_, i) => `Student ${i + 1}`);
    const columns = Array.from({ length: 20 }, (_, i) => `Skill ${i + 1}`);
    const values = rows.map(() => columns.map(() => 0.5));
    const heatmap = renderHeatmap({ title: "Big class", rows, columns, values });
    // "Student 12" is 10 characters; the key's longest line "20  Skill 20" is 12.
    expect(heatmap.width).toBe(32 + w(10) + 12 + 20 * PITCH - 2);
    expect(heatmap.height).toBe(162 + 42 * 12 + 20 * 20);
    expect(decode(heatmap.png).width).toBe(heatmap.width);
  });

  it("colours cells red for 0, yellow for 0.5, green for 1 and light grey when not started", () => {
    const image = decode(renderHeatmap(CLASS).png);
    const red = cellFill(image, CLASS_GRID_LEFT, 0, 0);
    const yellow = cellFill(image, CLASS_GRID_LEFT, 0, 1);
    const green = cellFill(image, CLASS_GRID_LEFT, 0, 2);
    const grey = cellFill(image, CLASS_GRID_LEFT, 1, 0);
    expect(red[0]).toBeGreaterThan(180);
    expect(Math.max(red[1], red[2])).toBeLessThan(90);
    expect(Math.min(yellow[0], yellow[1])).toBeGreaterThan(190);
    expect(yellow[2]).toBeLessThan(140);
    expect(green[1]).toBeGreaterThan(green[0] + 60);
    expect(green[1]).toBeGreaterThan(green[2] + 40);
    expect(grey).toEqual([230, 230, 230, 255]);
    // The same colours at the other cells holding 0, 1 and null.
    expect(cellFill(image, CLASS_GRID_LEFT, 2, 2)).toEqual(red);
    expect(cellFill(image, CLASS_GRID_LEFT, 2, 0)).toEqual(green);
    expect(cellFill(image, CLASS_GRID_LEFT, 2, 1)).toEqual(grey);
    // A not-started cell: no digits at its centre, and a darker grey edge.
    const left = CLASS_GRID_LEFT;
    const top = GRID_TOP + PITCH;
    expect(pixel(image, left + CELL / 2, top + CELL / 2)).toEqual(grey);
    expect(pixel(image, left, top)).toEqual([190, 190, 190, 255]);
  });

  it("writes the percentage in a colour that contrasts with the cell", () => {
    const image = decode(renderHeatmap(CLASS).png);
    const colours = (row: number, column: number) => {
      const found = new Set<string>();
      const left = CLASS_GRID_LEFT + column * PITCH;
      const top = GRID_TOP + row * PITCH;
      for (let y = top + 13; y < top + 27; y++) {
        for (let x = left + 2; x < left + CELL - 2; x++) found.add(pixel(image, x, y).join(","));
      }
      return found;
    };
    expect(colours(0, 0)).toContain("255,255,255,255"); // white "0" on red
    expect(colours(0, 1)).toContain("33,33,33,255"); // dark "50" on yellow
    expect(colours(1, 0).size).toBe(1); // nothing written on a not-started cell
  });

  it("draws a mark as a dot in the cell's top right corner", () => {
    const image = decode(renderHeatmap(CLASS).png);
    const dot = (row: number, column: number) =>
      pixel(image, CLASS_GRID_LEFT + column * PITCH + CELL - 8, GRID_TOP + row * PITCH + 7);
    expect(dot(0, 2)).toEqual([255, 255, 255, 255]);
    expect(dot(2, 0)).toEqual([255, 255, 255, 255]);
    expect(dot(0, 1)).toEqual(cellFill(image, CLASS_GRID_LEFT, 0, 1));
  });

  it("gives the same bytes for the same input", () => {
    const first = renderHeatmap(CLASS).png;
    const copy: HeatmapInput = structuredClone(CLASS);
    expect(Buffer.from(renderHeatmap(copy).png).equals(Buffer.from(first))).toBe(true);
    const changed = { ...CLASS, values: [[0, 0.5, 0.99], ...CLASS.values.slice(1)] };
    expect(Buffer.from(renderHeatmap(changed).png).equals(Buffer.from(first))).toBe(false);
  });

  it("says so for a class with no students, or a course with no skills", () => {
    const empty = renderHeatmap({ title: "Fractions", rows: [], columns: ["A"], values: [] });
    expect([empty.width, empty.height]).toEqual([32 + w(15), 74]); // "No students yet"
    const image = decode(empty.png);
    expect([image.width, image.height]).toEqual([empty.width, empty.height]);
    const inked = image.data.some((byte, i) => i % 4 !== 3 && byte < 100);
    expect(inked).toBe(true);

    const longTitle = "A title longer than the message";
    const noSkills = renderHeatmap({ title: longTitle, rows: ["Ana"], columns: [], values: [[]] });
    expect([noSkills.width, noSkills.height]).toEqual([32 + w(longTitle.length), 74]);
    expect(Buffer.from(noSkills.png).equals(Buffer.from(empty.png))).toBe(false);
  });

  it("transliterates non-ASCII text and truncates long names with '...'", () => {
    const draw = (title: string, name: string, skill: string) =>
      Buffer.from(renderHeatmap({ title, rows: [name], columns: [skill], values: [[0.5]] }).png);
    const same = (a: Buffer, b: Buffer) => expect(a.equals(b)).toBe(true);
    same(draw("Zoë Øst", "Chloé", "Straße"), draw("Zoe Ost", "Chloe", "Strasse"));
    // A decomposed "é" (e + U+0301) draws as the composed one does.
    same(draw("Chloe\u0301", "Rene\u0301e", "S"), draw("Chloe", "Renee", "S"));
    // No ASCII form: one '?' per character; dashes and curly quotes have plain ones.
    same(
      draw("Li Wei 李伟", "Ana\u0007", "Fractions — “parts”"),
      draw("Li Wei ??", "Ana?", 'Fractions - "parts"'),
    );
    // Row names stop at 24 characters, skill names at 48, titles at 60, the last three "...".
    same(
      draw("T".repeat(70), "Christopher Alexander Montgomery-Smith", "s".repeat(50)),
      draw(`${"T".repeat(57)}...`, "Christopher Alexander...", `${"s".repeat(45)}...`),
    );
    same(draw("T", "A …", "S"), draw("T", "A ...", "S"));
    expect(draw("T", "Zoe", "S").equals(draw("T", "Zoa", "S"))).toBe(false);
  });

  it("renders the largest class it accepts", () => {
    const rows = Array.from({ length: HEATMAP_LIMITS.rows }, (_, i) => `Student ${i + 1}`);
    const columns = Array.from({ length: HEATMAP_LIMITS.columns }, (_, i) => `Skill ${i + 1}`);
    const values = rows.map((_, r) => columns.map((_, c) => ((r + c) % 5 === 0 ? null : c / 59)));
    const heatmap = renderHeatmap({ title: "All", rows, columns, values });
    expect(heatmap.height).toBe(162 + 42 * 200 + 20 * 60);
    expect(decode(heatmap.png).height).toBe(heatmap.height);
  });

  it.each([
    [
      "too many rows",
      { rows: Array(201).fill("A"), values: Array(201).fill([0]), columns: ["S"] },
      "heatmap_too_large",
      /at most 200 rows; got 201/,
    ],
    [
      "too many columns",
      { rows: ["A"], columns: Array(61).fill("S"), values: [Array(61).fill(0)] },
      "heatmap_too_large",
      /at most 60 columns; got 61/,
    ],
    [
      "a missing row of values",
      { rows: ["Ana", "Ben"], columns: ["S"], values: [[0.1]] },
      "heatmap_shape",
      /values has 1 rows but there are 2 row names/,
    ],
    [
      "a short row",
      { rows: ["Ana", "Ben"], columns: ["S", "T"], values: [[0.1, 0.2], [0.3]] },
      "heatmap_shape",
      /values row 2 \("Ben"\) has 1 entries for 2 columns/,
    ],
    [
      "a value above 1",
      { rows: ["Ana"], columns: ["S", "Decimals"], values: [[0.1, 1.3]] },
      "heatmap_bad_value",
      /row 1 \("Ana"\), column 2 \("Decimals"\) is 1.3/,
    ],
    [
      "a negative value",
      { rows: ["Ana"], columns: ["S"], values: [[-0.1]] },
      "heatmap_bad_value",
      /row 1 \("Ana"\), column 1 \("S"\) is -0.1; expected a number in \[0, 1\] or null/,
    ],
    [
      "NaN",
      { rows: ["Ana"], columns: ["S"], values: [[Number.NaN]] },
      "heatmap_bad_value",
      /column 1 \("S"\) is NaN/,
    ],
    [
      "marks of the wrong shape",
      { rows: ["Ana"], columns: ["S"], values: [[0.5]], marks: [[true, false]] },
      "heatmap_shape",
      /marks row 1 \("Ana"\) has 2 entries for 1 columns/,
    ],
  ])("rejects %s", (_, input, code, message) => {
    expectError(() => renderHeatmap({ title: "T", ...input }), code, message);
  });
});
