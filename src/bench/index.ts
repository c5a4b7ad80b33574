export * from "./datasets.ts";
export * from "./kt-bench.ts";
export * from "./microbench.ts";
export * from "./turns.ts";
