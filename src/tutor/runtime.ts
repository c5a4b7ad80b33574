import {
  type Course,
  type ItemDefinition,
  parseInstanceId,
  type TemplateDefinition,
} from "../content/index.ts";
import {
  type CompetencyGraph,
  createCompetencyGraph,
  createKnowledgeModel,
  type FittedKnowledge,
  type KnowledgeModel,
  type PracticeItem,
  type SimulatedCourse,
} from "../engine/index.ts";

/** A course with the engine's view of it: skill ids prefixed by the course id. */
export interface CourseRuntime {
  readonly course: Course;
  readonly graph: CompetencyGraph;
  readonly model: KnowledgeModel;
}

export const engineId = (course: Course, id: string): string => `${course.id}/${id}`;

/** The engine's view of an item: a template's instances share the template's id and statistics. */
export function enginePracticeItem(
  course: Course,
  item: ItemDefinition | TemplateDefinition,
): PracticeItem {
  const templateId = parseInstanceId(item.id)?.templateId;
  return {
    id: engineId(course, templateId ?? item.id),
    skillIds: course.skillsOf(item).map((id) => engineId(course, id)),
    ...(item.difficulty === undefined ? {} : { difficulty: item.difficulty }),
  };
}

/**
 * The course's graph and knowledge model: BKT per skill from a fit of the course's own practice
 * when there is one (`socra course fit --out`), else as the course file sets it, else the fit's
 * pooled values or the engine's defaults; with a fit, also its logistic predictor and the skills
 * on which BKT decides mastery alone.
 */
export function compileRuntime(course: Course, fitted?: FittedKnowledge): CourseRuntime {
  const prefix = (id: string) => engineId(course, id);
  const prefixed = <T>(record: Readonly<Record<string, T>> | undefined) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([id, value]) => [prefix(id), value]));
  return {
    course,
    graph: createCompetencyGraph(
      course.skills.map((skill) => ({
        id: prefix(skill.id),
        prerequisites: skill.prerequisites.map(prefix),
      })),
    ),
    model: createKnowledgeModel({
      bkt: { ...prefixed(course.knowledge.bkt), ...fitted?.bkt },
      ...(fitted
        ? {
            defaultBkt: fitted.defaultBkt,
            logistic: fitted.logistic,
            bktAloneSkills: fitted.bktAloneSkills,
            gradualSkills: fitted.gradualSkills,
          }
        : {}),
      thresholds: prefixed(course.knowledge.thresholds),
      ...(course.knowledge.threshold === undefined
        ? {}
        : { threshold: course.knowledge.threshold }),
    }),
  };
}

/**
 * The course as `socra simulate` practises it: its graph, and per skill the items the tutor
 * would offer there (authored items, and each template as one item), with authored difficulty.
 */
export function simulationCourse(course: Course): SimulatedCourse {
  const { graph } = compileRuntime(course);
  const items = new Map<string, PracticeItem[]>();
  for (const skill of course.skills) {
    const entries = [...course.itemsFor(skill.id), ...course.templatesFor(skill.id)];
    items.set(
      engineId(course, skill.id),
      entries.map((entry) => enginePracticeItem(course, entry)),
    );
  }
  return { graph, items };
}
