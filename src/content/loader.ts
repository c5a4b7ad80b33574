import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import {
  createCompetencyGraph,
  createRng,
  PrerequisiteCycleError,
  SocraError,
  ValidationError,
} from "../engine/index.ts";
import {
  type CheckableItem,
  matchesAnswer,
  normalizeText,
  numericAnswerValue,
} from "./checking.ts";
import { type Course, compileCourse } from "./course.ts";
import { revealsAnswer } from "./leaks.ts";
import { float } from "./math.ts";
import {
  type CourseDefinition,
  courseSchema,
  type ItemDefinition,
  type TemplateDefinition,
} from "./schema.ts";
import { drawParams, instantiate } from "./templates.ts";

/** One thing wrong with a course file, where it is. */
export interface CourseProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface CourseCheck {
  readonly course?: Course;
  readonly problems: readonly CourseProblem[];
}

/** A skill needs this many items, or a template, so practice does not go round in circles. */
export const MIN_ITEMS_PER_SKILL = 3;
/** Template draws checked by the validator. */
const TEMPLATE_SAMPLES = 25;

type Path = readonly (string | number)[];

/** Formats problems as `file:line:column: message`, one per line. */
export function formatProblems(problems: readonly CourseProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join("\n");
}

/** Thrown when a course that must load has problems; `problems` lists them all. */
export class CourseError extends ValidationError {
  override readonly name: string = "CourseError";
  readonly problems: readonly CourseProblem[];

  constructor(problems: readonly CourseProblem[]) {
    super("bad_course", `Course has ${problems.length} problem(s):\n${formatProblems(problems)}`);
    this.problems = problems;
  }
}

/**
 * Parses and validates a course file's text: YAML syntax, the schema, and what the schema cannot
 * say (ids, references, cycles, enough practice, answers that parse, choices that contain their
 * answer, hints that give the answer away before the last rung, templates whose draws work).
 * Every problem is reported, each with its line and column.
 */
export function checkCourse(text: string, file: string): CourseCheck {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: CourseProblem[] = [];
  const at = (offset: number, message: string): void => {
    const { line, col } = lineCounter.linePos(offset);
    problems.push({ file, line, column: col, message });
  };
  // After the first syntax error the rest are usually its echoes: report the first.
  const [syntaxError] = doc.errors;
  if (syntaxError) {
    at(syntaxError.pos[0], `YAML: ${syntaxError.message.split("\n")[0]}`);
    return { problems };
  }

  const report = (path: Path, message: string, key?: string): void =>
    at(offsetOf(doc, path, key), message);
  const parsed = courseSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportIssue(issue, report);
    return { problems };
  }
  checkSemantics(parsed.data, report);
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (problems.length > 0) return { problems };
  return { course: compileCourse(parsed.data, file), problems };
}

/** Reads and checks a course file; I/O errors become a problem at line 1. */
export async function checkCourseFile(path: string): Promise<CourseCheck> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      problems: [{ file: path, line: 1, column: 1, message: `cannot read the file (${code})` }],
    };
  }
  return checkCourse(text, path);
}

/** Loads a course file, throwing a CourseError that lists every problem. */
export async function loadCourseFile(path: string): Promise<Course> {
  const { course, problems } = await checkCourseFile(path);
  if (!course) throw new CourseError(problems);
  return course;
}

/** The course files (*.yaml, *.yml) of a directory, sorted. */
export async function listCourseFiles(directory: string): Promise<string[]> {
  try {
    const names = await readdir(directory);
    return names
      .filter((name) => [".yaml", ".yml"].includes(extname(name)))
      .sort()
      .map((name) => join(directory, name));
  } catch (error) {
    throw new SocraError("courses_unreadable", `Cannot read the course directory ${directory}`, {
      cause: error,
    });
  }
}

/** Loads every course of a directory; duplicates and broken files fail loudly. */
export async function loadCourseDirectory(directory: string): Promise<Course[]> {
  const courses = await Promise.all((await listCourseFiles(directory)).map(loadCourseFile));
  const seen = new Set<string>();
  for (const course of courses) {
    if (seen.has(course.id))
      throw new ValidationError(
        "duplicate_course",
        `Two courses in ${directory} have the id "${course.id}"`,
      );
    seen.add(course.id);
  }
  return courses;
}

/** Source offset of the node at `path` (or of a key of that map), falling back to the nearest ancestor. */
function offsetOf(doc: Document, path: Path, key?: string): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (!isNode(node)) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
    }
    if (node.range) return node.range[0];
  }
  return 0;
}

function describePath(path: Path): string {
  return path.reduce<string>(
    (text, part) =>
      typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part,
    "",
  );
}

function reportIssue(
  issue: z.core.$ZodIssue,
  report: (path: Path, message: string, key?: string) => void,
): void {
  const path = issue.path as Path;
  const where = describePath(path) || "course";
  if (issue.code === "unrecognized_keys") {
    for (const key of issue.keys) report(path, `${where}: unknown field "${key}"`, key);
    return;
  }
  if (
    issue.code === "invalid_union" &&
    "discriminator" in issue &&
    issue.discriminator === "type"
  ) {
    report(
      path,
      `${where}: must be one of choice, numeric, expression, text or free (templates: not free)`,
    );
    return;
  }
  const message = /received undefined/.test(issue.message) ? "is required" : issue.message;
  report(path, `${where}: ${message}`);
}

type Report = (path: Path, message: string, key?: string) => void;

function checkSemantics(course: CourseDefinition, report: Report): void {
  const skillIds = new Map<string, number>();
  course.skills.forEach((skill, s) => {
    if (skillIds.has(skill.id)) report(["skills", s, "id"], `duplicate skill id "${skill.id}"`);
    else skillIds.set(skill.id, s);
    const misconceptions = new Set<string>();
    skill.misconceptions.forEach((m, k) => {
      if (misconceptions.has(m.id))
        report(["skills", s, "misconceptions", k, "id"], `duplicate misconception id "${m.id}"`);
      misconceptions.add(m.id);
    });
    skill.prerequisites.forEach((prerequisite, k) => {
      if (!course.skills.some((other) => other.id === prerequisite)) {
        report(
          ["skills", s, "prerequisites", k],
          `skill "${skill.id}" lists prerequisite "${prerequisite}", which is not a skill`,
        );
      }
    });
  });
  try {
    createCompetencyGraph(
      course.skills
        .filter((skill, s) => skillIds.get(skill.id) === s)
        .map((skill) => ({
          id: skill.id,
          prerequisites: skill.prerequisites.filter((p) => skillIds.has(p)),
        })),
    );
  } catch (error) {
    if (!(error instanceof PrerequisiteCycleError)) throw error;
    const first = error.cycle[1] as string;
    report(["skills", skillIds.get(first) as number, "prerequisites"], error.message);
  }

  const ids = new Map<string, string>();
  const practice = new Map<string, { items: number; templates: number }>();
  const entries: ["items" | "templates", ItemDefinition | TemplateDefinition, number][] = [
    ...course.items.map((item, i) => ["items", item, i] as ["items", ItemDefinition, number]),
    ...course.templates.map(
      (t, i) => ["templates", t, i] as ["templates", TemplateDefinition, number],
    ),
  ];
  for (const [list, entry, index] of entries) {
    const path: Path = [list, index];
    if (ids.has(entry.id))
      report([...path, "id"], `duplicate id "${entry.id}" (also ${ids.get(entry.id)})`);
    else ids.set(entry.id, `${list}[${index}]`);
    if ((entry.skill === undefined) === (entry.skills === undefined)) {
      report(path, `${list}[${index}] (${entry.id}): give either "skill" or "skills"`);
      continue;
    }
    const skills = entry.skills ?? [entry.skill as string];
    skills.forEach((skillId, k) => {
      if (!skillIds.has(skillId)) {
        report(
          [...path, entry.skills ? "skills" : "skill", ...(entry.skills ? [k] : [])],
          `unknown skill "${skillId}"`,
        );
        return;
      }
      const count = practice.get(skillId) ?? { items: 0, templates: 0 };
      count[list === "items" ? "items" : "templates"]++;
      practice.set(skillId, count);
    });
    const misconceptions = new Set(
      skills.flatMap(
        (skillId) =>
          course.skills.find((s) => s.id === skillId)?.misconceptions.map((m) => m.id) ?? [],
      ),
    );
    entry.feedback.forEach((feedback, k) => {
      if (feedback.misconception !== undefined && !misconceptions.has(feedback.misconception)) {
        report(
          [...path, "feedback", k, "misconception"],
          `unknown misconception "${feedback.misconception}" for skill ${skills.join(", ")}`,
        );
      }
    });
    if (list === "items") checkItem(entry as ItemDefinition, path, report, "");
    else checkTemplate(entry as TemplateDefinition, path, report);
  }

  course.skills.forEach((skill, s) => {
    const count = practice.get(skill.id) ?? { items: 0, templates: 0 };
    if (count.templates === 0 && count.items < MIN_ITEMS_PER_SKILL) {
      report(
        ["skills", s, "id"],
        `skill "${skill.id}" has ${count.items} item(s): give it at least ${MIN_ITEMS_PER_SKILL} items or a template, so practice does not repeat`,
      );
    }
  });
}

/** Checks one item (or template instance, described by `context`). */
function checkItem(item: ItemDefinition, path: Path, reportTo: Report, context: string): boolean {
  let found = false;
  const report: Report = (...args) => {
    found = true;
    reportTo(...args);
  };
  if (item.type === "free") return false;
  const checkable: CheckableItem = item;
  switch (item.type) {
    case "choice": {
      const normalized = item.choices.map((c) => normalizeText(c));
      if (new Set(normalized).size !== normalized.length)
        report([...path, "choices"], `${context}two choices are the same`);
      if (!normalized.includes(normalizeText(item.answer))) {
        report(
          [...path, "answer"],
          `${context}the answer "${item.answer}" is not one of the choices`,
        );
      }
      break;
    }
    case "numeric":
      if (numericAnswerValue(item) === undefined) {
        report(
          [...path, "answer"],
          `${context}the answer "${item.answer}" is not a number (write 3/4, 0.75, 1 1/2 or 75%)`,
        );
        return found;
      }
      break;
    case "expression":
      try {
        float.parse(item.answer);
      } catch (error) {
        report(
          [...path, "answer"],
          `${context}the answer "${item.answer}" is not an expression: ${(error as Error).message}`,
        );
        return found;
      }
      break;
    case "text":
      break;
  }
  item.feedback.forEach((feedback, k) => {
    if (matchesAnswer(checkable, item.answer, feedback.answer)) {
      report(
        [...path, "feedback", k, "answer"],
        `${context}feedback for "${feedback.answer}" matches the correct answer`,
      );
    }
  });
  item.hints.forEach((hint, k) => {
    if (k < item.hints.length - 1 && revealsAnswer(checkable, hint)) {
      report(
        [...path, "hints", k],
        `${context}hint ${k + 1} gives the answer away before the last rung`,
      );
    }
  });
  return found;
}

function checkTemplate(template: TemplateDefinition, path: Path, report: Report): void {
  const rng = createRng(`validate:${template.id}`);
  for (let sample = 0; sample < TEMPLATE_SAMPLES; sample++) {
    let params: ReturnType<typeof drawParams>;
    let item: ItemDefinition;
    try {
      params = drawParams(template, rng);
      if (params === undefined) {
        report(
          [...path, "constraints"],
          `template "${template.id}": no draw of its params meets the constraints`,
        );
        return;
      }
      item = instantiate(template, params);
    } catch (error) {
      report(path, `template "${template.id}": ${(error as Error).message}`);
      return;
    }
    // One failing draw is enough to show.
    if (checkItem(item, path, report, `template "${template.id}" with ${JSON.stringify(params)}: `))
      return;
  }
}
