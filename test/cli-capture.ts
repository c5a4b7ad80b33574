import { vi } from "vitest";
import { main } from "../src/cli.ts";

/** Runs the command line in this process, capturing what it prints and its exit code. */
export async function captureCli(argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    vi.restoreAllMocks();
  }
}
