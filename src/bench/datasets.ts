import { createResponseLogBuilder, type ResponseLog, ValidationError } from "../engine/index.ts";

/** Learners to fit on and learners to score, as indices into a log's learners. */
export interface KtSplit {
  readonly name: string;
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/** A response log with its evaluation splits (one for a train/test pair, k for k folds). */
export interface KtDataset {
  readonly log: ResponseLog;
  readonly splits: readonly KtSplit[];
}

/** A named text, so errors can say which file and line is wrong. */
export interface NamedText {
  readonly name: string;
  readonly text: string;
}

const GERVET_COLUMNS = ["user_id", "item_id", "correct", "skill_id"] as const;
const AKT_COLUMNS = [
  "user_id",
  "event_idx",
  "problem_id",
  "skill_name",
  "correct",
  "fold",
] as const;

/**
 * Parses the tab-separated format of the Gervet et al. (2020) split
 * (`user_id item_id timestamp correct skill_id`, one row per answer, time order within a
 * learner). Without an item-to-skill map the `skill_id` column (a skill combination id) is the
 * skill; with one, each item carries its real skills.
 */
export function parseGervetSplit(
  train: NamedText,
  test: NamedText,
  itemSkills?: ReadonlyMap<string, readonly string[]>,
): KtDataset {
  const builder = createResponseLogBuilder();
  const learnersOf = (file: NamedText): Set<string> => {
    const learners = new Set<string>();
    const table = parseTable(file, "\t", GERVET_COLUMNS);
    for (const row of table.rows) {
      const learnerId = row.field("user_id");
      const itemId = row.field("item_id");
      const skillIds = itemSkills ? itemSkills.get(itemId) : [row.field("skill_id")];
      if (skillIds === undefined) {
        throw row.error("item_id", `item ${itemId} is not in the item-to-skill map`);
      }
      learners.add(`${file.name}:${learnerId}`);
      builder.add({
        learnerId: `${file.name}:${learnerId}`,
        itemId,
        skillIds,
        isCorrect: row.binary("correct"),
      });
    }
    return learners;
  };
  const trainLearners = learnersOf(train);
  const testLearners = learnersOf(test);
  const log = builder.build();
  const split: KtSplit = { name: "test", train: [], test: [] };
  log.learnerIds.forEach((id, index) => {
    if (trainLearners.has(id)) (split.train as number[]).push(index);
    else if (testLearners.has(id)) (split.test as number[]).push(index);
  });
  return { log, splits: [split] };
}

/**
 * Parses an item-to-skill map (`item_id,skill_index` with a header, one line per tagging), as
 * in `q_mat_item_skill.csv`.
 */
export function parseItemSkillMap(file: NamedText): Map<string, string[]> {
  const table = parseTable(file, ",", []);
  if (table.header.length < 2) {
    throw new ValidationError(
      "bad_header",
      `${file.name}:1: expected two columns (item, skill), got "${table.header.join(",")}"`,
    );
  }
  const map = new Map<string, string[]>();
  for (const row of table.rows) {
    const itemId = row.at(0);
    const skillId = row.at(1);
    const skills = map.get(itemId);
    if (skills) skills.push(skillId);
    else map.set(itemId, [skillId]);
  }
  return map;
}

/**
 * Parses the AKT long format (one row per answer and skill, time order within a learner, rows
 * of one answer sharing `event_idx`). Each answer event becomes one response tagged with all its
 * skills, so it is scored once; folds 1..k become k splits (fold 0 learners only train).
 */
export function parseAktLong(file: NamedText): KtDataset {
  const builder = createResponseLogBuilder();
  const table = parseTable(file, ",", AKT_COLUMNS);
  const foldOf = new Map<string, number>();
  let pending:
    | { learnerId: string; event: string; itemId: string; skills: string[]; isCorrect: boolean }
    | undefined;
  const flush = (): void => {
    if (pending) builder.add({ ...pending, skillIds: pending.skills });
    pending = undefined;
  };
  for (const row of table.rows) {
    const learnerId = row.field("user_id");
    const event = row.field("event_idx");
    const fold = row.integer("fold");
    const known = foldOf.get(learnerId);
    if (known !== undefined && known !== fold) {
      throw row.error("fold", `learner ${learnerId} is in fold ${known} and fold ${fold}`);
    }
    foldOf.set(learnerId, fold);
    const isCorrect = row.binary("correct");
    if (pending && pending.learnerId === learnerId && pending.event === event) {
      if (pending.isCorrect !== isCorrect) {
        throw row.error("correct", `rows of answer event ${event} disagree on correctness`);
      }
      pending.skills.push(row.field("skill_name"));
      continue;
    }
    flush();
    pending = {
      learnerId,
      event,
      itemId: row.field("problem_id"),
      skills: [row.field("skill_name")],
      isCorrect,
    };
  }
  flush();
  const log = builder.build();
  const folds = [...new Set(foldOf.values())].filter((f) => f > 0).sort((a, b) => a - b);
  if (folds.length < 2) {
    throw new ValidationError(
      "bad_folds",
      `${file.name}: needs at least two folds numbered from 1`,
    );
  }
  const splits = folds.map((fold) => {
    const split = { name: `fold ${fold}`, train: [] as number[], test: [] as number[] };
    log.learnerIds.forEach((id, index) => {
      (foldOf.get(id) === fold ? split.test : split.train).push(index);
    });
    return split;
  });
  return { log, splits };
}

interface TableRow {
  field(column: string): string;
  at(index: number): string;
  binary(column: string): boolean;
  integer(column: string): number;
  error(column: string, message: string): ValidationError;
}

interface Table {
  readonly header: readonly string[];
  readonly rows: Iterable<TableRow>;
}

/** A delimited text with a header line; rows are checked lazily and errors name file:line. */
function parseTable(file: NamedText, delimiter: string, required: readonly string[]): Table {
  const lines = file.text.split(/\r?\n/);
  const headerLine = lines[0]?.trim() ?? "";
  if (headerLine === "") {
    throw new ValidationError("empty_file", `${file.name}: the file is empty`);
  }
  const header = headerLine.split(delimiter).map((h) => h.trim());
  const columnIndex = new Map(header.map((name, index) => [name, index]));
  const missing = required.filter((name) => !columnIndex.has(name));
  if (missing.length > 0) {
    const separator = delimiter === "\t" ? "tab" : `"${delimiter}"`;
    throw new ValidationError(
      "bad_header",
      `${file.name}:1: missing column(s) ${missing.join(", ")} (columns separated by ${separator}; found "${headerLine}")`,
    );
  }
  function* rows(): Generator<TableRow> {
    let dataRows = 0;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.trim() === "") continue;
      dataRows++;
      const cells = line.includes('"') ? splitQuoted(line, delimiter) : line.split(delimiter);
      const lineNumber = i + 1;
      const error = (column: string, message: string): ValidationError =>
        new ValidationError("bad_row", `${file.name}:${lineNumber}: field "${column}": ${message}`);
      if (cells.length !== header.length) {
        throw new ValidationError(
          "bad_row",
          `${file.name}:${lineNumber}: expected ${header.length} fields, found ${cells.length}`,
        );
      }
      const at = (index: number): string => {
        const value = (cells[index] as string).trim();
        if (value === "") throw error(header[index] as string, "is empty");
        return value;
      };
      const field = (column: string): string => at(columnIndex.get(column) as number);
      yield {
        field,
        at,
        error,
        binary: (column) => {
          const value = field(column);
          if (value !== "0" && value !== "1")
            throw error(column, `must be 0 or 1, found "${value}"`);
          return value === "1";
        },
        integer: (column) => {
          const value = field(column);
          if (!/^-?\d+$/.test(value)) throw error(column, `must be an integer, found "${value}"`);
          return Number(value);
        },
      };
    }
    if (dataRows === 0) {
      throw new ValidationError("empty_file", `${file.name}: no data rows after the header`);
    }
  }
  return { header, rows: rows() };
}

/** Splits one delimited line whose fields may be quoted (RFC 4180: "" inside quotes is a quote). */
function splitQuoted(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (inQuotes) {
      if (char !== '"') cell += char;
      else if (line[i + 1] === '"') {
        cell += '"';
        i++;
      } else inQuotes = false;
    } else if (char === '"') inQuotes = true;
    else if (char === delimiter) {
      cells.push(cell);
      cell = "";
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
