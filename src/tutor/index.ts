export * from "./assist.ts";
export { quietHoursEnd, ROSTER_NAME, TENANTS_KEY } from "./classroom.ts";
export {
  bar as masteryBar,
  reasonLabel,
  SORRY as SORRY_MESSAGE,
  skillStatus,
} from "./copy.ts";
export * from "./generation.ts";
export * from "./guards.ts";
export * from "./intents.ts";
export * from "./messages.ts";
export * from "./ports.ts";
export * from "./question-bank.ts";
export { engineId, enginePracticeItem, simulationCourse } from "./runtime.ts";
export * from "./teacher-commands.ts";
export * from "./tutor.ts";
