import { deflateSync } from "node:zlib";
import { ValidationError } from "../engine/index.ts";

/**
 * A PNG heat map of mastery, students by skills, for the teacher report. Pure: it draws into a
 * pixel buffer with an embedded bitmap font and encodes the PNG itself, so the same input always
 * gives the same bytes and no image library is needed at run time.
 */

/** What to draw: one row per student, one column per skill. */
export interface HeatmapInput {
  /** Shown at the top, e.g. "Fractions — mastery by student and skill". */
  readonly title: string;
  /** Student display names; non-ASCII is transliterated (é → e), anything else becomes '?'. */
  readonly rows: readonly string[];
  /** Skill names; the grid numbers its columns 1..N and a key below maps number → name. */
  readonly columns: readonly string[];
  /** Mastery in [0, 1] per row and column; null means not started. */
  readonly values: readonly (readonly (number | null)[])[];
  /** Optional per-cell flag (the teacher report uses it for mastered), drawn as a dot. */
  readonly marks?: readonly (readonly boolean[])[];
}

/** An encoded PNG (8-bit RGB) and its size in pixels. */
export interface Heatmap {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The largest class and course a heat map accepts; beyond that the image stops being readable. */
export const HEATMAP_LIMITS = { rows: 200, columns: 60 } as const;

// Text: a 5×7 font drawn at 2×, so a character advances 12 px and a line of text is 14 px tall.
const SCALE = 2;
const ADVANCE = 6 * SCALE;
const TEXT_HEIGHT = 7 * SCALE;
const LINE = 20;
const MARGIN = 16;
const CELL = 40;
const GAP = 2;
const PITCH = CELL + GAP;
const LABEL_GAP = 12;
const BAR_WIDTH = 160;
const SWATCH = 14;
const MAX_TITLE_CHARS = 60;
const MAX_ROW_CHARS = 24;
const MAX_SKILL_CHARS = 48;

type Rgb = readonly [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [33, 33, 33];
const NOT_STARTED: Rgb = [230, 230, 230];
const NOT_STARTED_EDGE: Rgb = [190, 190, 190];
// Red → yellow → green, after ColorBrewer's RdYlGn ends, so 0 and 1 read at a glance.
const SCALE_STOPS: readonly Rgb[] = [
  [215, 48, 39],
  [250, 215, 90],
  [26, 152, 80],
];

/**
 * Renders the heat map as a PNG. Sizes, in px, with t the title's length in characters (≤ 60),
 * l the longest row label (≤ 24), c the columns, r the rows, and k the longest key line
 * (the column number padded to the digits of c, two spaces, the skill name ≤ 48), where a run
 * of n characters is w(n) = max(0, 12n − 2) wide:
 *
 *   width  = 32 + max(w(t), w(l) + 12 + 42c − 2, 334, w(k))
 *   height = 162 + 42r + 20c
 *
 * A class with no students, or a course with no skills, gives a small image saying so:
 * width = 32 + max(w(t), 178), height = 74. Throws ValidationError on a malformed input.
 */
export function renderHeatmap(input: HeatmapInput): Heatmap {
  validate(input);
  const title = printable(input.title, MAX_TITLE_CHARS);
  if (input.rows.length === 0 || input.columns.length === 0) {
    const message = input.rows.length === 0 ? "No students yet" : "No skills yet";
    return renderMessage(title, message);
  }
  return renderGrid(input, title);
}

function renderMessage(title: string, message: string): Heatmap {
  const width = 2 * MARGIN + Math.max(textWidth(title), textWidth(message));
  const height = 2 * MARGIN + LINE + 8 + TEXT_HEIGHT;
  const image = createImage(width, height);
  drawText(image, title, MARGIN, MARGIN, INK);
  drawText(image, message, MARGIN, MARGIN + LINE + 8, INK);
  return { png: encodePng(image), width, height };
}

function renderGrid(input: HeatmapInput, title: string): Heatmap {
  const labels = input.rows.map((name) => printable(name, MAX_ROW_CHARS));
  const digits = String(input.columns.length).length;
  const keyLines = input.columns.map(
    (skill, i) => `${String(i + 1).padStart(digits)}  ${printable(skill, MAX_SKILL_CHARS)}`,
  );
  const labelWidth = Math.max(...labels.map(textWidth));
  const gridLeft = MARGIN + labelWidth + LABEL_GAP;
  const gridWidth = PITCH * input.columns.length - GAP;
  const legend = legendLayout(input.marks !== undefined);
  const width =
    2 * MARGIN +
    Math.max(
      textWidth(title),
      labelWidth + LABEL_GAP + gridWidth,
      legend.width,
      ...keyLines.map(textWidth),
    );
  const headerTop = MARGIN + LINE + 8;
  const gridTop = headerTop + LINE;
  const legendTop = gridTop + PITCH * input.rows.length + 22;
  const height = legendTop + LINE * (3 + input.columns.length) + MARGIN;

  const image = createImage(width, height);
  drawText(image, title, MARGIN, MARGIN, INK);
  input.columns.forEach((_, c) => {
    const number = String(c + 1);
    const x = gridLeft + c * PITCH + Math.floor((CELL - textWidth(number)) / 2);
    drawText(image, number, x, headerTop, INK);
  });
  const textInset = Math.floor((CELL - TEXT_HEIGHT) / 2);
  input.rows.forEach((_, r) => {
    const top = gridTop + r * PITCH;
    drawText(image, labels[r] ?? "", MARGIN, top + textInset, INK);
    input.columns.forEach((_, c) => {
      const value = input.values[r]?.[c] ?? null;
      drawCell(image, gridLeft + c * PITCH, top, value, input.marks?.[r]?.[c] === true);
    });
  });
  legend.draw(image, MARGIN, legendTop);
  keyLines.forEach((line, i) => {
    drawText(image, line, MARGIN, legendTop + LINE * (3 + i), INK);
  });
  return { png: encodePng(image), width, height };
}

function drawCell(image: Image, x: number, y: number, value: number | null, isMarked: boolean) {
  if (value === null) {
    fillRect(image, x, y, CELL, CELL, NOT_STARTED_EDGE);
    fillRect(image, x + 1, y + 1, CELL - 2, CELL - 2, NOT_STARTED);
  } else {
    const fill = scaleColour(value);
    fillRect(image, x, y, CELL, CELL, fill);
    const percent = String(Math.round(value * 100));
    const textX = x + Math.floor((CELL - textWidth(percent)) / 2);
    drawText(image, percent, textX, y + Math.floor((CELL - TEXT_HEIGHT) / 2), contrastingInk(fill));
  }
  if (isMarked) drawDot(image, x + CELL - 8, y + 7);
}

/**
 * The legend: three lines, "Mastery 0% [bar] 100%", the not-started swatch (and the mark's,
 * when the input has marks), then "Skills:" over the column key.
 */
function legendLayout(hasMarks: boolean) {
  const masteryWidth = textWidth("Mastery");
  const zeroWidth = textWidth("0%");
  const hundredWidth = textWidth("100%");
  const scaleWidth = masteryWidth + 8 + zeroWidth + 8 + BAR_WIDTH + 8 + hundredWidth;
  const swatchWidth = (label: string) => SWATCH + 8 + textWidth(label);
  const swatchesWidth = swatchWidth("not started") + (hasMarks ? 24 + swatchWidth("mastered") : 0);
  const width = Math.max(scaleWidth, swatchesWidth, textWidth("Skills:"));

  const draw = (image: Image, left: number, top: number) => {
    let x = left;
    drawText(image, "Mastery", x, top, INK);
    x += masteryWidth + 8;
    drawText(image, "0%", x, top, INK);
    x += zeroWidth + 8;
    for (let i = 0; i < BAR_WIDTH; i++) {
      fillRect(image, x + i, top, 1, TEXT_HEIGHT, scaleColour(i / (BAR_WIDTH - 1)));
    }
    x += BAR_WIDTH + 8;
    drawText(image, "100%", x, top, INK);

    const swatchTop = top + LINE;
    fillRect(image, left, swatchTop, SWATCH, SWATCH, NOT_STARTED_EDGE);
    fillRect(image, left + 1, swatchTop + 1, SWATCH - 2, SWATCH - 2, NOT_STARTED);
    drawText(image, "not started", left + SWATCH + 8, swatchTop, INK);
    if (hasMarks) {
      const markLeft = left + swatchWidth("not started") + 24;
      fillRect(image, markLeft, swatchTop, SWATCH, SWATCH, scaleColour(1));
      drawDot(image, markLeft + SWATCH / 2, swatchTop + SWATCH / 2);
      drawText(image, "mastered", markLeft + SWATCH + 8, swatchTop, INK);
    }
    drawText(image, "Skills:", left, top + 2 * LINE, INK);
  };
  return { width, draw };
}

/** The colour for a mastery in [0, 1]: linear between the red, yellow and green stops. */
function scaleColour(value: number): Rgb {
  const position = Math.min(1, Math.max(0, value)) * (SCALE_STOPS.length - 1);
  const index = Math.min(SCALE_STOPS.length - 2, Math.floor(position));
  const from = SCALE_STOPS[index] ?? WHITE;
  const to = SCALE_STOPS[index + 1] ?? WHITE;
  const t = position - index;
  const mix = (channel: 0 | 1 | 2) => Math.round(from[channel] + (to[channel] - from[channel]) * t);
  return [mix(0), mix(1), mix(2)];
}

/** Dark text on light cells, white on dark ones (perceived brightness, ITU-R BT.601 weights). */
function contrastingInk([r, g, b]: Rgb): Rgb {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? INK : WHITE;
}

/** A white dot with a dark ring, visible on every colour of the scale. */
function drawDot(image: Image, cx: number, cy: number) {
  for (let dy = -4; dy <= 4; dy++) {
    for (let dx = -4; dx <= 4; dx++) {
      const d = dx * dx + dy * dy;
      if (d <= 9) setPixel(image, cx + dx, cy + dy, WHITE);
      else if (d <= 20) setPixel(image, cx + dx, cy + dy, INK);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Input

function validate(input: HeatmapInput) {
  const { rows, columns, values, marks } = input;
  if (rows.length > HEATMAP_LIMITS.rows) {
    throw new ValidationError(
      "heatmap_too_large",
      `A heat map takes at most ${HEATMAP_LIMITS.rows} rows; got ${rows.length}`,
    );
  }
  if (columns.length > HEATMAP_LIMITS.columns) {
    throw new ValidationError(
      "heatmap_too_large",
      `A heat map takes at most ${HEATMAP_LIMITS.columns} columns; got ${columns.length}`,
    );
  }
  checkShape("values", values, rows, columns);
  if (marks !== undefined) checkShape("marks", marks, rows, columns);
  values.forEach((row, r) => {
    row.forEach((value, c) => {
      if (value === null || (typeof value === "number" && value >= 0 && value <= 1)) return;
      throw new ValidationError(
        "heatmap_bad_value",
        `Value at row ${r + 1} (${JSON.stringify(rows[r])}), column ${c + 1} (${JSON.stringify(columns[c])}) is ${String(value)}; expected a number in [0, 1] or null`,
      );
    });
  });
}

function checkShape(
  field: string,
  grid: readonly (readonly unknown[])[],
  rows: readonly string[],
  columns: readonly string[],
) {
  if (grid.length !== rows.length) {
    throw new ValidationError(
      "heatmap_shape",
      `${field} has ${grid.length} rows but there are ${rows.length} row names`,
    );
  }
  grid.forEach((row, r) => {
    if (row.length !== columns.length) {
      throw new ValidationError(
        "heatmap_shape",
        `${field} row ${r + 1} (${JSON.stringify(rows[r])}) has ${row.length} entries for ${columns.length} columns`,
      );
    }
  });
}

// Letters NFKD cannot decompose into ASCII, and the punctuation a title or name is likely to hold.
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  œ: "oe",
  Œ: "OE",
  ø: "o",
  Ø: "O",
  ł: "l",
  Ł: "L",
  đ: "d",
  Đ: "D",
  ı: "i",
  þ: "th",
  Þ: "Th",
  "–": "-",
  "—": "-",
  "‘": "'",
  "’": "'",
  "“": '"',
  "”": '"',
};

/** The text as the font can draw it (printable ASCII), cut to `max` characters with "...". */
function printable(text: string, max: number): string {
  const ascii = Array.from(text.normalize("NFKD").replace(/\p{M}/gu, ""), (ch) => {
    if (ch >= " " && ch <= "~") return ch;
    return TRANSLITERATIONS[ch] ?? (/\s/u.test(ch) ? " " : "?");
  })
    .join("")
    .trim();
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3).trimEnd()}...`;
}

// ---------------------------------------------------------------------------------------------
// Pixels and text

/** RGB pixels laid out as PNG scanlines: each row is a filter-type byte (0, none), then w × 3. */
interface Image {
  readonly width: number;
  readonly height: number;
  readonly scanlines: Uint8Array;
}

function createImage(width: number, height: number): Image {
  const scanlines = new Uint8Array((1 + 3 * width) * height).fill(255);
  for (let y = 0; y < height; y++) scanlines[y * (1 + 3 * width)] = 0;
  return { width, height, scanlines };
}

function setPixel(image: Image, x: number, y: number, [r, g, b]: Rgb) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const offset = y * (1 + 3 * image.width) + 1 + 3 * x;
  image.scanlines[offset] = r;
  image.scanlines[offset + 1] = g;
  image.scanlines[offset + 2] = b;
}

function fillRect(image: Image, x: number, y: number, w: number, h: number, [r, g, b]: Rgb) {
  const left = Math.max(0, x);
  const right = Math.min(image.width, x + w);
  const stride = 1 + 3 * image.width;
  for (let row = Math.max(0, y); row < Math.min(image.height, y + h); row++) {
    for (let offset = row * stride + 1 + 3 * left; offset < row * stride + 1 + 3 * right; ) {
      image.scanlines[offset++] = r;
      image.scanlines[offset++] = g;
      image.scanlines[offset++] = b;
    }
  }
}

function textWidth(text: string): number {
  return Math.max(0, text.length * ADVANCE - SCALE);
}

/** Draws printable ASCII with its top-left corner at (x, y); other characters draw as '?'. */
function drawText(image: Image, text: string, x: number, y: number, colour: Rgb) {
  for (let i = 0; i < text.length; i++) {
    const glyph = FONT[text.charCodeAt(i) - 32] ?? FONT[31] ?? "";
    const top = y + (DESCENDERS.includes(text.charAt(i)) ? 2 * SCALE : 0);
    for (let row = 0; row < 7; row++) {
      const bits = Number.parseInt(glyph.slice(2 * row, 2 * row + 2), 16);
      for (let col = 0; col < 5; col++) {
        if ((bits & (0x10 >> col)) === 0) continue;
        fillRect(image, x + i * ADVANCE + col * SCALE, top + row * SCALE, SCALE, SCALE, colour);
      }
    }
  }
}

/**
 * A 5×7 font for ASCII 32–126, one glyph per entry: seven rows top to bottom, each two hex
 * digits whose low five bits are the pixels left (0x10) to right (0x01). The descender
 * letters start at the x-height and are drawn two rows lower, below the baseline.
 */
const DESCENDERS = "gpqy";
const FONT: readonly string[] = [
  "00000000000000", // space
  "04040404000004", // !
  "0A0A0A00000000", // "
  "0A0A1F0A1F0A0A", // #
  "040F140E051E04", // $
  "18190204081303", // %
  "0C12140815120D", // &
  "04040800000000", // '
  "02040808080402", // (
  "08040202020408", // )
  "0004150E150400", // *
  "0004041F040400", // +
  "000000000C0408", // ,
  "0000001F000000", // -
  "00000000000C0C", // .
  "00010204081000", // /
  "0E11131519110E", // 0
  "040C040404040E", // 1
  "0E11010204081F", // 2
  "1F02040201110E", // 3
  "02060A121F0202", // 4
  "1F101E0101110E", // 5
  "0608101E11110E", // 6
  "1F010204080808", // 7
  "0E11110E11110E", // 8
  "0E11110F01020C", // 9
  "000C0C000C0C00", // :
  "000C0C000C0408", // ;
  "02040810080402", // <
  "00001F001F0000", // =
  "08040201020408", // >
  "0E110102040004", // ?
  "0E11010D15150E", // @
  "0E11111F111111", // A
  "1E11111E11111E", // B
  "0E11101010110E", // C
  "1C12111111121C", // D
  "1F10101E10101F", // E
  "1F10101E101010", // F
  "0E11101711110F", // G
  "1111111F111111", // H
  "0E04040404040E", // I
  "0702020202120C", // J
  "11121418141211", // K
  "1010101010101F", // L
  "111B1515111111", // M
  "11111915131111", // N
  "0E11111111110E", // O
  "1E11111E101010", // P
  "0E11111115120D", // Q
  "1E11111E141211", // R
  "0F10100E01011E", // S
  "1F040404040404", // T
  "1111111111110E", // U
  "11111111110A04", // V
  "1111111515150A", // W
  "11110A040A1111", // X
  "1111110A040404", // Y
  "1F01020408101F", // Z
  "0E08080808080E", // [
  "00100804020100", // backslash
  "0E02020202020E", // ]
  "040A1100000000", // ^
  "0000000000001F", // _
  "08040200000000", // `
  "00000E010F110F", // a
  "1010161911111E", // b
  "00000E1010110E", // c
  "01010D1311110F", // d
  "00000E111F100E", // e
  "0609081C080808", // f
  "0F1111110F010E", // g (descender)
  "10101619111111", // h
  "04000C0404040E", // i
  "0200060202120C", // j
  "10101214181412", // k
  "0C04040404040E", // l
  "00001A15151111", // m
  "00001619111111", // n
  "00000E1111110E", // o
  "1E1111111E1010", // p (descender)
  "0F1111110F0101", // q (descender)
  "00001619101010", // r
  "00000E100E011E", // s
  "08081C08080906", // t
  "0000111111130D", // u
  "00001111110A04", // v
  "0000111115150A", // w
  "0000110A040A11", // x
  "111111110F010E", // y (descender)
  "00001F0204081F", // z
  "02040408040402", // {
  "04040404040404", // |
  "08040402040408", // }
  "00000815020000", // ~
];

// ---------------------------------------------------------------------------------------------
// PNG

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Encodes 8-bit RGB scanlines as a PNG: signature, IHDR, one IDAT, IEND. */
function encodePng(image: Image): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, no filter, no interlace
  const chunks = [
    PNG_SIGNATURE,
    chunk("IHDR", header),
    // Level 6, zlib's default: on the largest map, level 9 takes three times as long for 10%.
    chunk("IDAT", deflateSync(image.scanlines, { level: 6 })),
    chunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(chunks.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of chunks) {
    png.set(part, offset);
    offset += part.length;
  }
  return png;
}

/** A PNG chunk: length, type, data, then the CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

// CRC-32 as PNG specifies it (ISO 3309, reflected polynomial 0xEDB88320), one table entry per byte.
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
