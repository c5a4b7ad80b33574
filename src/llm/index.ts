export * from "./errors.ts";
export * from "./openai.ts";
export * from "./prompts.ts";
export * from "./reliability.ts";
