export * from "./assist.ts";
export { reasonLabel, SORRY as SORRY_MESSAGE } from "./copy.ts";
export * from "./generation.ts";
export * from "./guards.ts";
export * from "./intents.ts";
export * from "./messages.ts";
export * from "./ports.ts";
export * from "./question-bank.ts";
export * from "./tutor.ts";
