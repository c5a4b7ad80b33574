export * from "./app.ts";
export * from "./commands.ts";
export * from "./register.ts";
export * from "./render.ts";
