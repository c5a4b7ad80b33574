#!/usr/bin/env node
import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runConsole } from "./adapters/console/index.ts";
import { registerDiscordCommands } from "./adapters/discord/index.ts";
import {
  KT_MODELS,
  type KtDataset,
  type KtModelName,
  type KtScore,
  parseAktLong,
  parseGervetSplit,
  parseItemSkillMap,
  runKtBench,
  runLogisticAblation,
  runMicrobench,
  runTurnBench,
} from "./bench/index.ts";
import { type Config, loadConfig, readEnvironment } from "./config.ts";
import {
  type Course,
  checkCourseFile,
  courseJsonSchema,
  formatProblems,
  listCourseFiles,
  loadCourseDirectory,
  loadCourseFile,
} from "./content/index.ts";
import {
  type BktParams,
  createKnowledgeModel,
  DEFAULT_SIMULATION_OPTIONS,
  type FittedKnowledge,
  fitKnowledgeModel,
  type GeneratorKind,
  highestTypicalPredictions,
  logisticCheckLevel,
  type MasteryRule,
  RELIABLE_FIT_LEARNERS,
  type ResponseLog,
  runOfRightAnswersFor,
  type SimulationComparison,
  type SimulationPolicy,
  type SimulationRun,
  SocraError,
  serializeFittedKnowledge,
  simulate,
  ValidationError,
} from "./engine/index.ts";
import { formatLeakEval, runLeakEval, runTutorEval } from "./eval/index.ts";
import { type App, BUNDLED_COURSES_DIR, createApp, createLlm } from "./main.ts";
import { exportStatements, fitCourseSkills, practiceLog } from "./records/index.ts";
import { serve } from "./serve.ts";
import { DEFAULT_STORE_OPTIONS } from "./store/index.ts";
import { engineId, simulationCourse, systemClock, TENANTS_KEY } from "./tutor/index.ts";

const USAGE = `Usage: socra [command] [options]

Commands:
  chat          The tutor in this terminal (the default command): one message per line
                  [--course ID|FILE] [--learner ID] [--store memory|redis] [--redis-url URL] [--json]
                  [--role learner|teacher]  teacher: /tutor assign, assignments, unassign,
                  report work on local learners (by id); /as ID acts as another learner
  serve         Every platform whose credentials are configured (Slack, Discord), with
                  /healthz and /metrics on PORT; stops cleanly on Ctrl-C or SIGTERM;
                  SIGHUP reloads the fitted models in SOCRA_MODELS_DIR
  discord register   Register /tutor and /hint with Discord [--guild ID] (one server, instant;
                  without it, global)
  export xapi   Every learning record as xAPI statements, one JSON object per line
                  [--tenant ID] [--since YYYY-MM-DD] [--store memory|redis] [--redis-url URL]
  course list   The courses available
  course validate FILE…   Check course files; every problem with file, line and column
  course schema The JSON Schema of course files, for editor autocompletion
  course fit ID BKT parameters per skill fitted on the first attempts the store holds, with
                  the lines for the course file [--tenant ID] [--min-learners N] [--json]
                  [--out FILE]: also the whole knowledge model, for SOCRA_MODELS_DIR
                  [--store memory|redis] [--redis-url URL]
  bench turns   Simulated learners through the real tutor: turns per second, latency
                  --learners N --turns N [--store memory|redis] [--redis-url URL] [--json]
  kt bench      Fit knowledge-tracing models on logs and score next-response prediction
                  --train FILE --test FILE [--skills FILE]   Gervet et al. split (tab-separated)
                  --akt FILE                                 AKT long format, 5 student folds
                  [--model bkt|bkt-forget|best-lr|lr|all] [--ablation] [--json]
  kt microbench Time one response's online update and prediction [--json]
  simulate      Synthetic learners under adaptive, fixed, random, oracle and greedy practice,
                  and the best any plan could do (logistic learners: optimum, following
                  prerequisites, following mastery learning)
                  --skills N (a generated course) | --course ID|FILE (its graph and items)
                  --learners N [--policy adaptive|fixed|random|oracle|greedy|all]
                  [--seed S] [--seeds K] [--fixed-items N] [--mastery bkt|bkt+logistic]
                  [--pilot-learners N (300)] [--pilot-items N (20 per skill; 0: no pilot,
                  the first class practises unfitted)] [--refit-learners N (300; 0: fit on
                  the pilot class only)] [--refit-rounds N (1; classes that practise and
                  refit in turn)] [--json]
  eval leak     The answer-leak guard on MRBench tutor responses: precision and recall
                  against the human labels, next to a naive baseline
                  [--data FILE (../shared/datasets/mrbench/MRBench_V2.json)] [--json]
  eval tutor    MathDial student turns against the hint prompt: how often the model's hint
                  gives the answer away (needs OPENAI_API_KEY or OPENAI_BASE_URL)
                  [--data FILE (../shared/datasets/mathdial/test.jsonl)]
                  [--conversations N (20)] [--turns N (3)] [--json]
  help          This text
`;

/** A mistake in how the command was called: usage is printed, exit code 2. */
class UsageError extends SocraError {
  constructor(message: string) {
    super("usage", message);
  }
}

const out = (text: string): void => {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
};

function readText(path: string): { name: string; text: string } {
  try {
    return { name: path, text: readFileSync(path, "utf8") };
  } catch (error) {
    throw new ValidationError(
      "unreadable_file",
      `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
}

function positiveInteger(name: string, value: string | undefined, fallback?: number): number {
  return integerOption(name, value, fallback, 1);
}

function integerOption(
  name: string,
  value: string | undefined,
  fallback: number | undefined,
  min: 0 | 1,
): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const number = Number(value);
  if (!(Number.isInteger(number) && number >= min))
    throw new UsageError(
      `--${name} must be ${min === 1 ? "a positive integer" : "a whole number"}, got "${value}"`,
    );
  return number;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

function ktBench(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      train: { type: "string" },
      test: { type: "string" },
      skills: { type: "string" },
      akt: { type: "string" },
      model: { type: "string", default: "all" },
      ablation: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  let dataset: KtDataset;
  if (values.akt !== undefined) {
    if (values.train || values.test || values.skills)
      throw new UsageError("--akt replaces --train, --test and --skills");
    dataset = parseAktLong(readText(values.akt));
  } else {
    if (values.train === undefined || values.test === undefined)
      throw new UsageError("--train and --test are required (or --akt)");
    const itemSkills =
      values.skills === undefined ? undefined : parseItemSkillMap(readText(values.skills));
    dataset = parseGervetSplit(readText(values.train), readText(values.test), itemSkills);
  }
  const model = values.model;
  if (model !== "all" && !(KT_MODELS as readonly string[]).includes(model)) {
    throw new UsageError(`--model must be one of ${KT_MODELS.join(", ")} or all, got "${model}"`);
  }
  const scores = values.ablation
    ? runLogisticAblation(dataset)
    : runKtBench(dataset, model === "all" ? KT_MODELS : [model as KtModelName]);
  if (values.json) {
    out(JSON.stringify({ models: scores }));
    return;
  }
  const format = (s: KtScore): string[] => [
    s.model,
    s.auc.toFixed(4),
    s.rmse.toFixed(4),
    s.accuracy.toFixed(4),
    s.fitSeconds.toFixed(2),
    s.predictSeconds.toFixed(2),
    String(s.rows),
  ];
  const header = ["model", "AUC", "RMSE", "accuracy", "fit s", "predict s", "rows"];
  out(table(header, scores.map(format)));
  const folded = scores.filter((s) => s.folds !== undefined);
  if (folded.length > 0) {
    out(
      `\nMeans over ${folded[0]?.folds?.length} folds (fit and predict seconds per fold). Per fold:`,
    );
    out(
      table(
        ["model / fold", ...header.slice(1)],
        folded.flatMap((s) =>
          (s.folds ?? []).map((f, i) => format({ ...f, model: `${s.model} ${i + 1}` })),
        ),
      ),
    );
  }
}

function ktMicrobench(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean", default: false } },
    strict: true,
  });
  const report = runMicrobench();
  if (values.json) {
    out(JSON.stringify(report));
    return;
  }
  out(
    table(
      ["operation", "median µs"],
      report.results.map((r) => [r.name, (r.medianNanoseconds / 1000).toFixed(3)]),
    ),
  );
  out(
    `\nLearner state after practising all ${report.skills} skills: ${report.learnerStateBytes} bytes of JSON`,
  );
}

const POLICIES: readonly SimulationPolicy[] = ["adaptive", "fixed", "random", "oracle", "greedy"];
const GENERATORS: readonly GeneratorKind[] = ["bkt", "logistic"];

async function runSimulate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      skills: { type: "string" },
      course: { type: "string" },
      learners: { type: "string" },
      policy: { type: "string", default: "all" },
      seed: { type: "string", default: "1" },
      seeds: { type: "string", default: "1" },
      "fixed-items": { type: "string" },
      "pilot-learners": { type: "string" },
      "pilot-items": { type: "string" },
      "refit-learners": { type: "string" },
      "refit-rounds": { type: "string" },
      mastery: { type: "string", default: "bkt+logistic" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const policy = values.policy;
  if (policy !== "all" && !(POLICIES as readonly string[]).includes(policy)) {
    throw new UsageError(`--policy must be one of ${POLICIES.join(", ")} or all, got "${policy}"`);
  }
  if (values.mastery !== "bkt" && values.mastery !== "bkt+logistic") {
    throw new UsageError(`--mastery must be bkt or bkt+logistic, got "${values.mastery}"`);
  }
  const firstSeed = Number(values.seed);
  if (!Number.isInteger(firstSeed))
    throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const seedCount = positiveInteger("seeds", values.seeds);
  if ((values.skills === undefined) === (values.course === undefined))
    throw new UsageError("simulate needs --skills N (a generated course) or --course ID|FILE");
  const what =
    values.course === undefined
      ? { skills: positiveInteger("skills", values.skills) }
      : { course: simulationCourse(await loadCourseArgument(values.course)) };
  const policies = policy === "all" ? POLICIES : [policy as SimulationPolicy];
  const runs: (Omit<SimulationRun, "accuracyCurve" | "declaredCurve"> & { seed: number })[] = [];
  const comparisons: (SimulationComparison & { seed: number })[] = [];
  for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
    const report = simulate(
      {
        ...what,
        learners: positiveInteger("learners", values.learners),
        seed,
        fixedItemsPerSkill: positiveInteger("fixed-items", values["fixed-items"], 10),
        pilotLearners: positiveInteger(
          "pilot-learners",
          values["pilot-learners"],
          DEFAULT_SIMULATION_OPTIONS.pilotLearners,
        ),
        pilotItemsPerSkill: integerOption(
          "pilot-items",
          values["pilot-items"],
          DEFAULT_SIMULATION_OPTIONS.pilotItemsPerSkill,
          0,
        ),
        refitLearners: integerOption(
          "refit-learners",
          values["refit-learners"],
          DEFAULT_SIMULATION_OPTIONS.refitLearners,
          0,
        ),
        refitRounds: positiveInteger(
          "refit-rounds",
          values["refit-rounds"],
          DEFAULT_SIMULATION_OPTIONS.refitRounds,
        ),
        masteryRule: values.mastery as MasteryRule,
      },
      // Savings are measured against the fixed policy, so it always runs.
      [...new Set<SimulationPolicy>([...policies, "fixed"])],
      GENERATORS,
    );
    for (const { accuracyCurve: _curve, declaredCurve: _declared, ...run } of report.runs) {
      if (policies.includes(run.policy)) runs.push({ seed, ...run });
    }
    for (const comparison of report.comparisons) comparisons.push({ seed, ...comparison });
  }
  if (values.json) {
    out(JSON.stringify({ runs, comparisons }));
    return;
  }
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  // The optimum and prerequisite-optimum are computed within the fixed policy's budget only.
  const notMatched = (c: SimulationComparison): string =>
    c.policy === "optimum" || c.policy === "prerequisite-optimum"
      ? `over ${c.fixedItemsPerLearner.toFixed(0)}`
      : "never";
  out(
    table(
      [
        "seed",
        "generator",
        "policy",
        "items",
        "post-test",
        "under-practice",
        "over-practice",
        "to mastery",
        "learned",
        "stuck",
      ],
      runs.map((r) => [
        String(r.seed),
        r.generator,
        r.policy,
        r.itemsPerLearner.toFixed(1),
        pct(r.postTestAccuracy),
        pct(r.underPracticeRate),
        r.overPracticeItems.toFixed(1),
        r.itemsToTrueMastery.toFixed(1),
        pct(r.learnedRate),
        pct(r.stuckRate),
      ]),
    ),
  );
  out(
    "\nItems per learner each policy needs to reach the fixed policy's post-test accuracy" +
      " (every session cut at that many items), and its under-practice at that point:",
  );
  out(
    table(
      [
        "seed",
        "generator",
        "policy",
        "fixed items",
        "fixed post-test",
        "items to match",
        "savings",
        "under-practice then",
      ],
      comparisons.map((c) => [
        String(c.seed),
        c.generator,
        c.policy,
        c.fixedItemsPerLearner.toFixed(0),
        pct(c.fixedPostTestAccuracy),
        c.itemsToMatch === null ? notMatched(c) : String(c.itemsToMatch),
        c.itemSavings === null ? "-" : pct(c.itemSavings),
        c.underPracticeAtMatch === null ? "-" : pct(c.underPracticeAtMatch),
      ]),
    ),
  );
}

const STORE_OPTIONS = {
  store: { type: "string" },
  "redis-url": { type: "string" },
} as const;

/** Config from the environment (and .env) over the command's defaults, with flags on top. */
function configWith(
  values: { store?: string | undefined; "redis-url"?: string | undefined },
  extra: Record<string, string> = {},
  defaults: Record<string, string> = {},
): Config {
  const env = { ...defaults, ...readEnvironment(), ...extra };
  if (values.store !== undefined) {
    if (values.store !== "memory" && values.store !== "redis")
      throw new UsageError(`--store must be memory or redis, got "${values.store}"`);
    env.SOCRA_STORE = values.store;
  }
  if (values["redis-url"] !== undefined) env.REDIS_URL = values["redis-url"];
  return loadConfig(env);
}

async function chat(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...STORE_OPTIONS,
      course: { type: "string" },
      learner: { type: "string", default: "local" },
      json: { type: "boolean", default: false },
      role: { type: "string", default: "learner" },
    },
    strict: true,
  });
  const course = values.course;
  if (values.role !== "learner" && values.role !== "teacher")
    throw new UsageError(`--role is learner or teacher, not "${values.role}"`);
  const role = values.role;
  const isFile = course !== undefined && (/\.ya?ml$/i.test(course) || existsSync(course));
  // The terminal is the chat itself: only warnings and errors go to it unless LOG_LEVEL says.
  const config = configWith(
    values,
    course !== undefined && !isFile ? { SOCRA_DEFAULT_COURSE: course } : {},
    { LOG_LEVEL: "warn" },
  );
  const app = await createApp(config, isFile ? { courseFile: course } : {});
  try {
    if (process.stdin.isTTY === true && !values.json)
      process.stderr.write(
        config.llm
          ? `(LLM: ${config.llm.model}${config.llm.baseUrl ? ` at ${config.llm.baseUrl}` : ""})\n`
          : '(No LLM configured: hints and explanations come from the course. See the README, "With an LLM".)\n',
      );
    if (course !== undefined && !isFile && !app.tutor.courses.some((c) => c.id === course)) {
      throw new UsageError(
        `Unknown course "${course}". Courses: ${app.tutor.courses.map((c) => c.id).join(", ")}`,
      );
    }
    const isTerminal = process.stdout.isTTY === true;
    await runConsole({
      tutor: app.tutor,
      input: process.stdin,
      output: process.stdout,
      learner: values.learner,
      role,
      store: app.store,
      json: values.json,
      color: isTerminal && !values.json && process.env.NO_COLOR === undefined,
      prompt: process.stdin.isTTY === true,
      stream: isTerminal,
    });
  } finally {
    await app.close();
  }
}

async function courseCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "schema") {
    out(JSON.stringify(courseJsonSchema(), null, 2));
    return 0;
  }
  if (sub === "list") {
    const config = loadConfig(readEnvironment());
    const files = await listCourseFiles(config.coursesDir ?? BUNDLED_COURSES_DIR);
    const rows: string[][] = [];
    let failed = 0;
    for (const file of files) {
      const { course, problems } = await checkCourseFile(file);
      if (course) rows.push([course.id, course.title, String(course.skills.length), file]);
      else {
        failed++;
        rows.push(["(invalid)", `${problems.length} problem(s)`, "-", file]);
      }
    }
    out(table(["id", "title", "skills", "file"], rows));
    return failed > 0 ? 1 : 0;
  }
  if (sub === "validate") {
    if (rest.length === 0) throw new UsageError("course validate needs at least one FILE");
    let problems = 0;
    for (const file of rest) {
      const check = await checkCourseFile(file);
      if (check.course)
        out(`${file}: OK (${check.course.id}: ${check.course.skills.length} skills)`);
      else {
        problems += check.problems.length;
        out(formatProblems(check.problems));
      }
    }
    if (problems > 0) out(`\n${problems} problem(s).`);
    return problems > 0 ? 1 : 0;
  }
  if (sub === "fit") {
    await courseFit(rest);
    return 0;
  }
  throw new UsageError(`Unknown course command "${sub ?? ""}": use list, validate, schema or fit`);
}

/** A course named by id (of the course directory) or by its file. */
async function loadCourseArgument(idOrFile: string): Promise<Course> {
  if (/\.ya?ml$/i.test(idOrFile) || existsSync(idOrFile)) return loadCourseFile(idOrFile);
  const config = loadConfig(readEnvironment());
  const courses = await loadCourseDirectory(config.coursesDir ?? BUNDLED_COURSES_DIR);
  const course = courses.find((c) => c.id === idOrFile);
  if (!course)
    throw new UsageError(
      `No course "${idOrFile}": ${courses.map((c) => c.id).join(", ")}, or a course file`,
    );
  return course;
}

/**
 * `socra course fit ID`: BKT parameters per skill fitted on the first attempts the store holds,
 * with what the course file says now, and the lines to paste into it.
 */
async function courseFit(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...STORE_OPTIONS,
      tenant: { type: "string" },
      "min-learners": { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError("course fit needs one course ID");
  const minLearners = positiveInteger("min-learners", values["min-learners"], 20);
  const config = configWith(values, {}, { LOG_LEVEL: "warn" });
  if (config.store === "memory")
    process.stderr.write(
      "socra: the memory store starts empty and keeps nothing between runs: fit on Redis (--store redis)\n",
    );
  const app = await createApp(config, { isWorker: false });
  try {
    const course = app.tutor.courses.find((c) => c.id === positionals[0]);
    if (!course)
      throw new UsageError(
        `No course "${positionals[0]}": ${app.tutor.courses.map((c) => c.id).join(", ")}`,
      );
    const tenants =
      values.tenant !== undefined
        ? [values.tenant]
        : Object.keys(await app.store.readRecords(TENANTS_KEY)).sort();
    const log = await practiceLog({
      store: app.store,
      course,
      tenants,
      limit: DEFAULT_STORE_OPTIONS.attemptsKept,
    });
    const skills = fitCourseSkills(course, log, minLearners);
    if (values.out !== undefined) {
      if (log.rowCount === 0) throw new UsageError(`No first attempts at ${course.id} to fit on`);
      const { knowledge } = fitKnowledgeModel(log, { bkt: { seed: 1 } });
      // BKT as printed: only for skills enough learners practised.
      const bkt = Object.fromEntries(
        skills.flatMap((s) => (s.fitted ? [[engineId(course, s.skillId), s.fitted]] : [])),
      );
      writeFileSync(values.out, serializeFittedKnowledge({ ...knowledge, bkt }));
      process.stderr.write(
        `socra: wrote ${values.out}: BKT for ${Object.keys(bkt).length} skill(s) and the logistic predictor; BKT decides mastery alone on ${knowledge.bktAloneSkills.length}, learning is gradual on ${knowledge.gradualSkills.length}\n`,
      );
      if (log.learnerIds.length < RELIABLE_FIT_LEARNERS)
        process.stderr.write(
          `socra: fitted on ${log.learnerIds.length} learner(s), fewer than ${RELIABLE_FIT_LEARNERS}: in simulation, fits on 60 declared up to 6% of skills mastered that were not learned (see the README); fit again once more learners have practised\n`,
        );
      warnUnreachedLevels(course, log, { ...knowledge, bkt });
    }
    if (values.json) {
      out(
        JSON.stringify({
          course: course.id,
          learners: log.learnerIds.length,
          responses: log.rowCount,
          minLearners,
          skills,
        }),
      );
      return;
    }
    // Three decimals, never 0 or 1, which a course file refuses.
    const value = (x: number) =>
      String(Math.min(0.999, Math.max(0.001, Math.round(x * 1000) / 1000)));
    const params = (p: BktParams) =>
      `{ prior: ${value(p.prior)}, learn: ${value(p.learn)}, guess: ${value(p.guess)}, slip: ${value(p.slip)} }`;
    out(
      `${course.id}: ${log.rowCount} first attempts by ${log.learnerIds.length} learners in ${tenants.length} tenant(s)\n`,
    );
    out(
      table(
        ["skill", "learners", "first attempts", "fitted", "course file now"],
        skills.map((s) => [
          s.skillId,
          String(s.learners),
          String(s.responses),
          s.fitted ? params(s.fitted) : `- (fewer than ${minLearners} learners)`,
          params(s.current),
        ]),
      ),
    );
    const fitted = skills.filter((s) => s.fitted);
    if (fitted.length === 0) return;
    out("\nTo use them, set each skill's bkt in the course file:");
    for (const s of fitted) out(`  - id: ${s.skillId}\n    bkt: ${params(s.fitted as BktParams)}`);
  } finally {
    await app.close();
  }
}

/**
 * Names the skills whose mastery check asks the fitted logistic model for more success than it
 * predicted for any learner of the class: there only a run of right answers passes it.
 */
function warnUnreachedLevels(course: Course, log: ResponseLog, knowledge: FittedKnowledge): void {
  const model = createKnowledgeModel(knowledge);
  const highest = highestTypicalPredictions(log, knowledge.logistic);
  const percent = (p: number) => `${Math.round(p * 100)}%`;
  for (const skill of course.skills) {
    const id = engineId(course, skill.id);
    const level = logisticCheckLevel(model, id);
    const reached = highest.get(id);
    if (level === undefined || reached === undefined || reached >= level) continue;
    process.stderr.write(
      `socra: ${skill.id}: no learner here reached the ${percent(level)} predicted success mastery asks for (highest ${percent(reached)}); until a fit on more practice does, mastering it takes ${runOfRightAnswersFor(level)} right answers in a row\n`,
    );
  }
}

async function benchTurns(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...STORE_OPTIONS,
      learners: { type: "string" },
      turns: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const learners = positiveInteger("learners", values.learners);
  const turns = positiveInteger("turns", values.turns);
  // A prefix of its own, so the bench never touches real learners; quiet logs.
  const config = configWith(values, {
    REDIS_PREFIX: `socra-bench-${Date.now().toString(36)}`,
    LOG_LEVEL: "warn",
  });
  const app: App = await createApp(config);
  try {
    const report = await runTurnBench({
      tutor: app.tutor,
      learners,
      turns,
      ...(app.redisStore ? { roundTrips: app.redisStore.roundTrips } : {}),
    });
    if (values.json) {
      out(JSON.stringify({ store: config.store, ...report }));
      return;
    }
    out(
      table(
        ["store", "learners", "turns", "turns/s", "p50 ms", "p99 ms", "Redis round trips/turn"],
        [
          [
            config.store,
            String(report.learners),
            String(report.turns),
            report.turnsPerSecond.toFixed(0),
            report.p50Ms.toFixed(3),
            report.p99Ms.toFixed(3),
            report.redisRoundTripsPerTurn === null ? "-" : report.redisRoundTripsPerTurn.toFixed(2),
          ],
        ],
      ),
    );
  } finally {
    await app.close();
  }
}

async function evalCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "leak") {
    const { values } = parseArgs({
      args: rest,
      options: {
        data: { type: "string", default: "../shared/datasets/mrbench/MRBench_V2.json" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    });
    if (!existsSync(values.data)) throw new UsageError(`No MRBench file at ${values.data}`);
    const result = await runLeakEval(values.data);
    if (values.json) {
      const { responses, precision, recall, baseline } = result;
      out(
        JSON.stringify({
          responses,
          precision,
          recall,
          baseline: { precision: baseline.precision, recall: baseline.recall },
          microsecondsPerCall: result.microsecondsPerCall,
          misses: result.misses,
        }),
      );
    } else out(formatLeakEval(result));
    return;
  }
  if (sub === "tutor") {
    const { values } = parseArgs({
      args: rest,
      options: {
        data: { type: "string", default: "../shared/datasets/mathdial/test.jsonl" },
        conversations: { type: "string" },
        turns: { type: "string" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    });
    const config = loadConfig(readEnvironment());
    if (!config.llm)
      throw new SocraError(
        "no_llm",
        "eval tutor needs an LLM: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server)",
      );
    if (!existsSync(values.data)) throw new UsageError(`No MathDial file at ${values.data}`);
    const result = await runTutorEval({
      llm: createLlm(config.llm),
      clock: systemClock,
      dataPath: values.data,
      conversations: positiveInteger("conversations", values.conversations, 20),
      turnsPerConversation: positiveInteger("turns", values.turns, 3),
      timeoutMs: config.llm.timeoutMs,
    });
    if (values.json) {
      out(JSON.stringify({ model: config.llm.model, ...result }));
      return;
    }
    out(
      table(
        ["model", "conversations", "hints", "revealing", "reveal rate", "failures", "tokens"],
        [
          [
            config.llm.model,
            String(result.conversations),
            String(result.hints),
            String(result.revealing),
            `${(100 * result.revealRate).toFixed(1)}%`,
            String(result.failures),
            String(result.tokens),
          ],
        ],
      ),
    );
    for (const example of result.examples) out(`\nanswer ${example.answer}: ${example.hint}`);
    return;
  }
  throw new UsageError(`Unknown eval command "${sub ?? ""}": use leak or tutor`);
}

async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...STORE_OPTIONS }, strict: true });
  const server = await serve(configWith(values));
  // kill -HUP: the models `socra course fit --out` wrote apply without a restart.
  const reload = () =>
    void server.app
      .reloadModels()
      .catch((error: unknown) =>
        server.app.logger.error({ err: error }, "fitted models not reloaded; the old ones stay"),
      );
  process.on("SIGHUP", reload);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.off("SIGHUP", reload);
  server.app.logger.info({}, "stopping");
  await server.close();
}

async function discordCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "register")
    throw new UsageError(`Unknown discord command "${sub ?? ""}": use register`);
  const { values } = parseArgs({
    args: rest,
    options: { guild: { type: "string" } },
    strict: true,
  });
  const config = loadConfig(readEnvironment());
  if (!config.discord)
    throw new SocraError(
      "no_discord",
      "discord register needs DISCORD_TOKEN and DISCORD_APPLICATION_ID",
    );
  const courses = await loadCourseDirectory(config.coursesDir ?? BUNDLED_COURSES_DIR);
  const count = await registerDiscordCommands(config.discord, courses, values.guild);
  out(
    values.guild
      ? `Registered ${count} commands in server ${values.guild}.`
      : `Registered ${count} global commands (Discord may take a while to show changes everywhere).`,
  );
}

/** `socra export xapi`: every learning record the store holds, as xAPI statements (JSON lines). */
async function exportXapi(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...STORE_OPTIONS, tenant: { type: "string" }, since: { type: "string" } },
    strict: true,
  });
  let since: number | undefined;
  if (values.since !== undefined) {
    since = Date.parse(`${values.since}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.since) || Number.isNaN(since))
      throw new UsageError(`--since is a date like 2026-09-01, not "${values.since}"`);
  }
  const config = configWith(values, {}, { LOG_LEVEL: "warn" });
  const app = await createApp(config, { isWorker: false });
  try {
    const tenants =
      values.tenant !== undefined
        ? [values.tenant]
        : Object.keys(await app.store.readRecords(TENANTS_KEY)).sort();
    let count = 0;
    for await (const statement of exportStatements({
      store: app.store,
      courses: app.tutor.courses,
      tenants,
      ...(since === undefined ? {} : { since }),
      context: { baseIri: config.xapiBaseIri },
      limit: DEFAULT_STORE_OPTIONS.attemptsKept,
    })) {
      if (!process.stdout.write(`${JSON.stringify(statement)}\n`))
        await new Promise((resolve) => process.stdout.once("drain", resolve));
      count++;
    }
    process.stderr.write(`socra: ${count} statements from ${tenants.length} tenant(s)\n`);
  } finally {
    await app.close();
  }
}

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "help" || command === "--help" || command === "-h") {
      out(USAGE);
      return 0;
    }
    if (command === undefined || command === "chat" || command.startsWith("--"))
      await chat(command === "chat" ? rest : [...argv]);
    else if (command === "course") return await courseCommand(rest);
    else if (command === "serve") await serveCommand(rest);
    else if (command === "discord") await discordCommand(rest);
    else if (command === "bench" && rest[0] === "turns") await benchTurns(rest.slice(1));
    else if (command === "kt" && rest[0] === "bench") ktBench(rest.slice(1));
    else if (command === "kt" && rest[0] === "microbench") ktMicrobench(rest.slice(1));
    else if (command === "simulate") await runSimulate(rest);
    else if (command === "eval") await evalCommand(rest);
    else if (command === "export" && rest[0] === "xapi") await exportXapi(rest.slice(1));
    else throw new UsageError(`Unknown command "${[command, ...rest.slice(0, 1)].join(" ")}"`);
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`socra: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof SocraError) {
      process.stderr.write(`socra: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// Run only as a program (npm bin links resolve to this file), never when imported by tests.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await main(process.argv.slice(2));
}
