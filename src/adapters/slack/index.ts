export * from "./app.ts";
export * from "./blocks.ts";
export * from "./classroom.ts";
export * from "./installations.ts";
