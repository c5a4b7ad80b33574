export * from "./console.ts";
export * from "./render.ts";
