import { type BktParams, bktPredictMultiSkill, bktUpdate } from "./bkt.ts";
import type { BktModel } from "./bkt-fit.ts";
import { createLearnerEvidence, type LearnerEvidence, recordEvidence } from "./evidence.ts";
import { type LogisticModel, logisticItemMean, logisticPredict } from "./logistic.ts";
import type { ResponseLog } from "./response-log.ts";

/**
 * A fitted model replaying one learner's rows of a log as it would run online: it predicts a
 * response from the evidence before it, then learns from it.
 */
export interface OnlinePredictor {
  predict(row: number): number;
  update(row: number): void;
}

/** A fitted model that replays learners of a log, one OnlinePredictor per learner. */
export interface ReplayModel {
  startLearner(): OnlinePredictor;
}

/** The skill ids a row of the log is tagged with. */
export function rowSkillIds(log: ResponseLog, row: number): string[] {
  const skills: string[] = [];
  for (let t = log.skillOffsets[row] as number; t < (log.skillOffsets[row + 1] as number); t++) {
    skills.push(log.skillIds[log.skills[t] as number] as string);
  }
  return skills;
}

export function bktReplay(log: ResponseLog, model: BktModel): ReplayModel {
  const paramsOf = (skillId: string): BktParams =>
    (model.skills.get(skillId) ?? model.pooled).params;
  return {
    startLearner() {
      const pKnown = new Map<string, number>();
      const tagged = (row: number) =>
        rowSkillIds(log, row).map((skillId) => {
          const params = paramsOf(skillId);
          return { skillId, params, pKnown: pKnown.get(skillId) ?? params.prior };
        });
      return {
        predict: (row) => bktPredictMultiSkill(tagged(row)),
        update: (row) => {
          const isCorrect = log.correct[row] === 1;
          for (const skill of tagged(row))
            pKnown.set(skill.skillId, bktUpdate(skill.pKnown, isCorrect, skill.params));
        },
      };
    },
  };
}

/** A learner replayed by the logistic model, with the evidence gathered so far. */
export interface LogisticReplayLearner extends OnlinePredictor {
  readonly evidence: LearnerEvidence;
}

export function logisticReplay(
  log: ResponseLog,
  model: LogisticModel,
): { startLearner(): LogisticReplayLearner } {
  return {
    startLearner() {
      const evidence = createLearnerEvidence();
      return {
        evidence,
        predict: (row) =>
          logisticPredict(
            model,
            evidence,
            log.itemIds[log.item[row] as number] as string,
            rowSkillIds(log, row),
          ),
        update: (row) => {
          const itemId = log.itemIds[log.item[row] as number] as string;
          recordEvidence(evidence, {
            itemId,
            skillIds: rowSkillIds(log, row),
            isCorrect: log.correct[row] === 1,
            itemMeanCorrect: logisticItemMean(model, itemId),
          });
        },
      };
    },
  };
}
