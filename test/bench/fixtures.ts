import { createRng } from "../../src/engine/index.ts";

/**
 * Synthetic logs in the two dataset formats (never the internal ASSISTments files): learners
 * with an ability practise items of two skills, and get better with practice.
 */
export function syntheticRows(learners: number, seed: number) {
  const rng = createRng(seed);
  const rows: { user: number; item: number; skill: number; correct: number }[] = [];
  for (let user = 0; user < learners; user++) {
    const ability = rng.normal();
    for (let t = 0; t < 16; t++) {
      const skill = t < 8 ? 0 : 1;
      const item = skill * 20 + rng.int(20);
      const z = ability + 0.25 * (t % 8) - 0.3 - (item % 5) * 0.2;
      rows.push({ user, item, skill, correct: rng.chance(1 / (1 + Math.exp(-z))) ? 1 : 0 });
    }
  }
  return rows;
}

export function gervetText(learners: number, seed: number, firstUser = 0): string {
  const lines = ["user_id\titem_id\ttimestamp\tcorrect\tskill_id"];
  for (const r of syntheticRows(learners, seed))
    lines.push(`${r.user + firstUser}\t${r.item}\t0\t${r.correct}\t${r.skill}`);
  return `${lines.join("\n")}\n`;
}

export function aktText(learners: number, seed: number): string {
  const lines = [
    "user_id,user_idx,seq_idx,event_idx,problem_id,problem_idx,skill_idx,skill_name,correct,fold",
  ];
  const counters = new Map<number, number>();
  for (const r of syntheticRows(learners, seed)) {
    const event = counters.get(r.user) ?? 0;
    counters.set(r.user, event + 1);
    const fold = (r.user % 5) + 1;
    lines.push(
      `${r.user},${r.user},${event},${event},${r.item},${r.item},${r.skill},"Skill ${r.skill}, part one",${r.correct},${fold}`,
    );
    // Every fourth answer is tagged with a second skill: the same answer event, one more row.
    if (event % 4 === 0)
      lines.push(
        `${r.user},${r.user},${event},${event},${r.item},${r.item},9,Shared skill,${r.correct},${fold}`,
      );
  }
  return `${lines.join("\n")}\n`;
}
