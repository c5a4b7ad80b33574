#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages that npm could not
// record because the registry mirror it used lacks other platforms' binaries (npm/cli#9342):
// `npm ci` refuses a lockfile that misses them. Each entry gets the version its parent asks
// for and the os/cpu/libc read from its name, so npm skips it on other platforms and fetches
// it normally where it applies. Run after `npm install` changes the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const LOCKFILE = new URL("../package-lock.json", import.meta.url);
const OS = [
  "android",
  "darwin",
  "freebsd",
  "linux",
  "openharmony",
  "win32",
  "netbsd",
  "openbsd",
  "sunos",
  "aix",
];
const CPU = ["arm64", "x64", "ia32", "arm", "ppc64", "riscv64", "s390x", "loong64", "mips64el"];

const lock = JSON.parse(readFileSync(LOCKFILE, "utf8"));
const added = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    const parts = name.split("/").pop().split("-");
    const os = OS.find((o) => parts.includes(o));
    const cpu = CPU.find((c) => parts.includes(c));
    if (!os || !cpu) continue; // not a platform binary: leave it to npm
    const libc = parts.some((p) => p.startsWith("musl"))
      ? ["musl"]
      : os === "linux" && parts.includes("gnu")
        ? ["glibc"]
        : undefined;
    lock.packages[hoisted] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc ? { libc } : {}),
    };
    added.push(`${name}@${version}`);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a.localeCompare(b),
  ),
);
writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(
  added.length
    ? `added ${added.length} platform entries:\n  ${added.join("\n  ")}\n`
    : "lockfile complete\n",
);
