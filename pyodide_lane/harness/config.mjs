/**
 * What the lane knows about the Workers comes from wrangler itself, never from a second config:
 *
 * - `readWorker(path)`: wrangler's own reader (`unstable_readConfig` of the pinned wrangler)
 *   for name, main, compatibility settings, vars and bindings. The top-level environment is
 *   used: it is what `wrangler deploy` uploads (an `[env.NAME]` table does not inherit bindings).
 * - `uploadedModules(path, outdir)`: `wrangler deploy --dry-run --outdir` writes exactly the
 *   modules it would upload; the lane mounts that directory, so a module wrangler would leave
 *   out is missing in the lane too.
 * - `applyMigrations(...)`: `wrangler d1 migrations apply <binding> --local --persist-to <dir>`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const WRANGLER_BIN = require.resolve("wrangler/bin/wrangler.js");
const WRANGLER_README = "This folder contains the built output assets";

let wranglerApi;
async function wrangler() {
  wranglerApi ??= await import(require.resolve("wrangler"));
  return wranglerApi;
}

export async function readWorker(configPath) {
  const { unstable_readConfig } = await wrangler();
  const c = unstable_readConfig({ config: configPath });
  const base = path.dirname(configPath);
  const main = path.resolve(base, c.main);
  // The name wrangler uploads the main module under: relative to the module root, which is
  // `base_dir` if set, else the folder of `main` (workerd imports it by that name minus `.py`).
  const moduleRoot = c.base_dir ? path.resolve(base, c.base_dir) : path.dirname(main);
  return {
    name: c.name,
    configPath,
    main,
    mainModule: path.relative(moduleRoot, main).split(path.sep).join("/"),
    compatibilityDate: c.compatibility_date,
    compatibilityFlags: c.compatibility_flags ?? [],
    vars: c.vars ?? {},
    d1: (c.d1_databases ?? []).map((d) => ({
      binding: d.binding,
      id: d.database_id,
      migrationsDir: path.resolve(base, d.migrations_dir ?? "migrations"),
    })),
    kv: (c.kv_namespaces ?? []).map((k) => ({ binding: k.binding, id: k.id })),
    r2: (c.r2_buckets ?? []).map((r) => ({ binding: r.binding, id: r.bucket_name })),
    // Producers only: miniflare's broker delivers batches to consumer Workers in workerd, and
    // the lane's Workers are Pyodide isolates (so no queue() handler here; see the scenarios).
    queue: (c.queues?.producers ?? []).map((q) => ({ binding: q.binding, id: q.queue })),
    durableObjects: (c.durable_objects?.bindings ?? []).map((b) => ({
      binding: b.name,
      className: b.class_name,
      scriptName: b.script_name ?? c.name,
    })),
    sqliteClasses: (c.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []),
    crons: c.triggers?.crons ?? [],
  };
}

export function runWrangler(args, { cwd }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      cwd,
      env: { ...process.env, CI: "1", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`wrangler ${args.join(" ")} failed (${code}):\n${out}`)),
    );
  });
}

function listFiles(dir, prefix = "") {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(path.join(dir, e.name), rel) : [rel];
  });
}

/** Run the dry run into `outdir`; returns the uploaded module paths (wrangler's README excluded). */
export async function uploadedModules(configPath, outdir) {
  fs.rmSync(outdir, { recursive: true, force: true });
  await runWrangler(["deploy", "--dry-run", "--outdir", outdir, "--config", configPath], {
    cwd: path.dirname(configPath),
  });
  const readme = path.join(outdir, "README.md");
  if (fs.existsSync(readme) && fs.readFileSync(readme, "utf8").startsWith(WRANGLER_README)) fs.rmSync(readme);
  return listFiles(outdir).sort();
}

export async function applyMigrations(configPath, binding, persistTo) {
  return runWrangler(["d1", "migrations", "apply", binding, "--local", "--persist-to", persistTo, "--config", configPath], {
    cwd: path.dirname(configPath),
  });
}
