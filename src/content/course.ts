import {
  type BktParams,
  type CompetencyGraph,
  createCompetencyGraph,
  DEFAULT_BKT_PARAMS,
  type KnowledgeModelOptions,
  type Rng,
} from "../engine/index.ts";
import type {
  CourseDefinition,
  ItemDefinition,
  SkillDefinition,
  TemplateDefinition,
} from "./schema.ts";
import { drawParams, instantiate, parseInstanceId } from "./templates.ts";

/** A validated course, ready for the tutor: skills in order, items and templates by skill. */
export interface Course {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly language: string;
  /** Attempts per item before the worked solution. */
  readonly attempts: number;
  readonly skills: readonly SkillDefinition[];
  readonly graph: CompetencyGraph;
  /** Parameters for the engine's knowledge model (course skill ids). */
  readonly knowledge: KnowledgeModelOptions;
  readonly source: string;
  skill(skillId: string): SkillDefinition | undefined;
  /** Authored items that practise a skill (alone or with others). */
  itemsFor(skillId: string): readonly ItemDefinition[];
  templatesFor(skillId: string): readonly TemplateDefinition[];
  /** A fresh instance of a template, or undefined if its constraints cannot be met. */
  drawInstance(template: TemplateDefinition, rng: Rng): ItemDefinition | undefined;
  /** An authored item or a template instance, by id. */
  findItem(itemId: string): ItemDefinition | undefined;
  /** The skills an item practises. */
  skillsOf(item: ItemDefinition | TemplateDefinition): readonly string[];
}

/** Builds a course from a definition the validator has accepted. */
export function compileCourse(definition: CourseDefinition, source: string): Course {
  const graph = createCompetencyGraph(definition.skills);
  const skillsOf = (item: ItemDefinition | TemplateDefinition): readonly string[] =>
    item.skills ?? (item.skill === undefined ? [] : [item.skill]);
  const bySkill = <T extends ItemDefinition | TemplateDefinition>(list: readonly T[]) => {
    const map = new Map<string, T[]>();
    for (const entry of list) {
      for (const skillId of skillsOf(entry)) map.set(skillId, [...(map.get(skillId) ?? []), entry]);
    }
    return map;
  };
  const items = bySkill(definition.items);
  const templates = bySkill(definition.templates);
  const itemById = new Map(definition.items.map((item) => [item.id, item]));
  const templateById = new Map(definition.templates.map((template) => [template.id, template]));
  const skillById = new Map(definition.skills.map((skill) => [skill.id, skill]));
  const bkt: Record<string, BktParams> = {};
  const thresholds: Record<string, number> = {};
  for (const skill of definition.skills) {
    if (skill.bkt) {
      // exactOptionalPropertyTypes: drop absent fields so the defaults fill them.
      const given = Object.fromEntries(
        Object.entries(skill.bkt).filter(([, v]) => v !== undefined),
      );
      bkt[skill.id] = { ...DEFAULT_BKT_PARAMS, ...given };
    }
    if (skill.masteryThreshold !== undefined) thresholds[skill.id] = skill.masteryThreshold;
  }
  return {
    id: definition.id,
    title: definition.title,
    description: definition.description,
    language: definition.language,
    attempts: definition.attempts,
    skills: graph.skillIds.map((id) => skillById.get(id) as SkillDefinition),
    graph,
    knowledge: {
      bkt,
      thresholds,
      ...(definition.masteryThreshold === undefined
        ? {}
        : { threshold: definition.masteryThreshold }),
    },
    source,
    skill: (skillId) => skillById.get(skillId),
    itemsFor: (skillId) => items.get(skillId) ?? [],
    templatesFor: (skillId) => templates.get(skillId) ?? [],
    drawInstance(template, rng) {
      const params = drawParams(template, rng);
      return params === undefined ? undefined : instantiate(template, params);
    },
    findItem(itemId) {
      const authored = itemById.get(itemId);
      if (authored) return authored;
      const instance = parseInstanceId(itemId);
      const template = instance && templateById.get(instance.templateId);
      if (!instance || !template) return undefined;
      try {
        return instantiate(template, instance.params);
      } catch {
        return undefined;
      }
    },
    skillsOf,
  };
}
