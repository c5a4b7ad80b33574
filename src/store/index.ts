export * from "./jobs.ts";
export * from "./key-value.ts";
export * from "./memory.ts";
export * from "./options.ts";
export * from "./redis.ts";
