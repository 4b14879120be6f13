// Runs the TypeScript compiler (a devDependency) over files, strictly, without
// emitting: the exit status and the diagnostics.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** Whether typescript is installed (npm ci in clients/js). */
export const haveTsc = existsSync(tsc);

export function typecheck(files) {
  const r = spawnSync(process.execPath, [
    tsc, "--noEmit", "--strict", "--exactOptionalPropertyTypes", "--noUncheckedIndexedAccess",
    "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
    "--lib", "es2022,dom", "--skipLibCheck", "false", ...files,
  ], { cwd: root, encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Write a generated file under test/.generated (not committed); its path. */
export function writeCheck(name, text) {
  const dir = join(root, "test", ".generated");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
