import type { Course } from "../content/index.ts";
import {
  type CompetencyGraph,
  createCompetencyGraph,
  createKnowledgeModel,
  type KnowledgeModel,
} from "../engine/index.ts";

/** A course with the engine's view of it: skill ids prefixed by the course id. */
export interface CourseRuntime {
  readonly course: Course;
  readonly graph: CompetencyGraph;
  readonly model: KnowledgeModel;
}

export const engineId = (course: Course, id: string): string => `${course.id}/${id}`;

export function compileRuntime(course: Course): CourseRuntime {
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
      bkt: prefixed(course.knowledge.bkt),
      thresholds: prefixed(course.knowledge.thresholds),
      ...(course.knowledge.threshold === undefined
        ? {}
        : { threshold: course.knowledge.threshold }),
    }),
  };
}
