export * from "./export.ts";
export * from "./lrs.ts";
export * from "./practice.ts";
export * from "./statements.ts";
