import { PrerequisiteCycleError, ValidationError } from "./errors.ts";

/** A skill as the graph needs it: an id and the ids of the skills it builds on. */
export interface SkillNode {
  readonly id: string;
  readonly prerequisites?: readonly string[];
}

/** Skills and their prerequisites: a directed acyclic graph, queried but never mutated. */
export interface CompetencyGraph {
  /** Every skill, prerequisites before the skills that need them (ties keep input order). */
  readonly skillIds: readonly string[];
  has(skillId: string): boolean;
  /** Direct prerequisites, in input order. */
  prerequisitesOf(skillId: string): readonly string[];
  /** Skills that list this one as a direct prerequisite. */
  dependentsOf(skillId: string): readonly string[];
  /** All transitive prerequisites, in topological order. */
  ancestorsOf(skillId: string): readonly string[];
  /** All skills that transitively need this one, in topological order. */
  descendantsOf(skillId: string): readonly string[];
  /** Position of a skill in `skillIds`. */
  orderOf(skillId: string): number;
}

/**
 * Builds a competency graph. Rejects duplicate ids, prerequisites that are not skills, and
 * cycles (the error spells out one cycle: a → b → c → a).
 */
export function createCompetencyGraph(skills: readonly SkillNode[]): CompetencyGraph {
  const prerequisites = new Map<string, readonly string[]>();
  for (const skill of skills) {
    if (skill.id.trim() === "") throw new ValidationError("bad_skill_id", "A skill id is empty");
    if (prerequisites.has(skill.id)) {
      throw new ValidationError("duplicate_skill", `Skill "${skill.id}" is defined twice`);
    }
    prerequisites.set(skill.id, [...new Set(skill.prerequisites ?? [])]);
  }
  const dependents = new Map<string, string[]>(skills.map((skill) => [skill.id, []]));
  for (const [id, required] of prerequisites) {
    for (const prerequisite of required) {
      const list = dependents.get(prerequisite);
      if (list === undefined) {
        throw new ValidationError(
          "unknown_prerequisite",
          `Skill "${id}" lists prerequisite "${prerequisite}", which is not a skill`,
        );
      }
      list.push(id);
    }
  }
  const order = topologicalOrder(prerequisites, dependents);
  const position = new Map(order.map((id, index) => [id, index]));
  const byOrder = (ids: Iterable<string>): string[] =>
    [...ids].sort((a, b) => (position.get(a) as number) - (position.get(b) as number));
  const closure = (start: string, next: (id: string) => readonly string[]): string[] => {
    const seen = new Set<string>();
    const stack = [...next(start)];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...next(id));
    }
    return byOrder(seen);
  };
  const known = (skillId: string): void => {
    if (!prerequisites.has(skillId)) {
      throw new ValidationError("unknown_skill", `Unknown skill "${skillId}"`);
    }
  };
  const prerequisitesOf = (skillId: string): readonly string[] => {
    known(skillId);
    return prerequisites.get(skillId) as readonly string[];
  };
  const dependentsOf = (skillId: string): readonly string[] => {
    known(skillId);
    return dependents.get(skillId) as readonly string[];
  };
  return {
    skillIds: order,
    has: (skillId) => prerequisites.has(skillId),
    prerequisitesOf,
    dependentsOf,
    ancestorsOf: (skillId) => closure(skillId, prerequisitesOf),
    descendantsOf: (skillId) => closure(skillId, dependentsOf),
    orderOf: (skillId) => {
      known(skillId);
      return position.get(skillId) as number;
    },
  };
}

/**
 * Kahn's algorithm, always taking the first ready skill in input order so the order is stable;
 * O(n²), which is nothing for courses of hundreds of skills. On a cycle, finds and reports one.
 */
function topologicalOrder(
  prerequisites: ReadonlyMap<string, readonly string[]>,
  dependents: ReadonlyMap<string, readonly string[]>,
): string[] {
  const remaining = new Map<string, number>();
  for (const [id, required] of prerequisites) remaining.set(id, required.length);
  const order: string[] = [];
  for (;;) {
    const next = [...remaining].find(([, count]) => count === 0)?.[0];
    if (next === undefined) break;
    remaining.delete(next);
    order.push(next);
    for (const dependent of dependents.get(next) as readonly string[]) {
      remaining.set(dependent, (remaining.get(dependent) as number) - 1);
    }
  }
  if (remaining.size > 0)
    throw new PrerequisiteCycleError(findCycle(prerequisites, new Set(order)));
  return order;
}

/** A cycle among the skills Kahn's algorithm could not order, by walking prerequisites. */
function findCycle(
  prerequisites: ReadonlyMap<string, readonly string[]>,
  ordered: ReadonlySet<string>,
): string[] {
  const start = [...prerequisites.keys()].find((id) => !ordered.has(id)) as string;
  const path: string[] = [];
  const onPath = new Map<string, number>();
  let current = start;
  // Every unordered skill has an unordered prerequisite, so this walk must revisit a skill.
  while (!onPath.has(current)) {
    onPath.set(current, path.length);
    path.push(current);
    current = (prerequisites.get(current) as readonly string[]).find(
      (id) => !ordered.has(id),
    ) as string;
  }
  // The walk follows "needs" edges; report the cycle in learning order (each skill a
  // prerequisite of the next), starting from the skill that comes first in the course.
  const cycle = path.slice(onPath.get(current) as number).reverse();
  const inputOrder = [...prerequisites.keys()];
  const first = cycle.reduce(
    (best, id, i) =>
      inputOrder.indexOf(id) < inputOrder.indexOf(cycle[best] as string) ? i : best,
    0,
  );
  const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
  return [...rotated, rotated[0] as string];
}
