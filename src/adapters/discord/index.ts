export * from "./app.ts";
export * from "./classroom.ts";
export * from "./commands.ts";
export * from "./register.ts";
export * from "./render.ts";
