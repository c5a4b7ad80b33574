export * from "./leak.ts";
export * from "./tutor.ts";
