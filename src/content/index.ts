export * from "./checking.ts";
export * from "./course.ts";
export * from "./leaks.ts";
export * from "./loader.ts";
export { exact } from "./math.ts";
export * from "./numbers.ts";
export * from "./schema.ts";
export * from "./templates.ts";
