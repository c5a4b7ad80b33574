import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The engine is pure: it may import its own files and small pure libraries, nothing with I/O
// and nothing from the rest of the project.
const ENGINE_DIR = join(import.meta.dirname, "../../src/engine");
const ALLOWED_PACKAGES = new Set(["ts-fsrs", "zod"]);
const FORBIDDEN_GLOBALS =
  /\b(process\.|Date\.now\(|new Date\(\)|Math\.random\(|console\.|setTimeout\(|fetch\()/;

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/\b(?:import|export)\b[^"'`]*?\bfrom\s*["']([^"']+)["']/g)) {
    specifiers.push(match[1] as string);
  }
  for (const match of source.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g))
    specifiers.push(match[1] as string);
  for (const match of source.matchAll(/^\s*import\s+["']([^"']+)["']/gm))
    specifiers.push(match[1] as string);
  return specifiers;
}

describe("engine boundary", () => {
  const files = readdirSync(ENGINE_DIR).filter((name) => name.endsWith(".ts"));

  it("finds the engine sources", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)("%s imports only engine files and allowed pure packages", (file) => {
    const source = readFileSync(join(ENGINE_DIR, file), "utf8");
    for (const specifier of importsOf(source)) {
      if (specifier.startsWith(".")) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/[a-z0-9-]+\.ts$/);
      } else {
        expect(ALLOWED_PACKAGES.has(specifier), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });

  it.each(files)("%s reads no clock, randomness, environment or console", (file) => {
    const source = readFileSync(join(ENGINE_DIR, file), "utf8");
    expect(source.match(FORBIDDEN_GLOBALS)?.[0]).toBeUndefined();
  });

  it("the import scanner sees the forms a violation could take", () => {
    const sample = `import { a } from "node:fs";\nimport type { B } from "../tutor/index.ts";\nexport * from "./x.ts";\nimport "side-effect";\nconst m = await import("ioredis");`;
    expect(importsOf(sample).sort()).toEqual([
      "../tutor/index.ts",
      "./x.ts",
      "ioredis",
      "node:fs",
      "side-effect",
    ]);
  });
});
