export * from "./intents.ts";
export * from "./messages.ts";
export * from "./ports.ts";
export * from "./tutor.ts";
