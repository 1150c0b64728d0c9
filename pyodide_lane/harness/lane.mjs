/**
 * The Pyodide lane: the repository's Workers under real Pyodide 314, the real Python SDK and
 * miniflare's D1/KV/R2, with pytest running inside Pyodide against them.
 *
 * Steps: read each wrangler config with wrangler; dry-run each (the uploaded modules); apply D1
 * migrations with wrangler into a template state; start miniflare; build each Worker's env
 * (production-named bindings, vars, test secrets, Durable Object namespaces owned by the Worker
 * that defines the class); load each Worker's isolates (worker.mjs: the main Worker's requests
 * alternate between `--main-isolates` Pyodides, a Worker's Durable Objects get one more) and
 * import the uploaded main module in each; then run pytest in a separate Pyodide (the
 * "client"), whose `edge` fixture reaches the Workers only through the `grove_lane` JS module
 * below. Prints a summary with the skip count; the exit code is pytest's.
 *
 * Usage: node lane.mjs --prepared <prepared.json> --work <dir> --config <wrangler.toml>...
 *                      --wait-until-limit-ms <ms> [--main-isolates <n>] [--secrets <json>]
 *                      [--report <file>] -- <pytest args>
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Resources } from "./bindings.mjs";
import { applyMigrations, readWorker, uploadedModules } from "./config.mjs";
import { NamespaceImpl } from "./durable_objects.mjs";
import { compatFlags, entrypointHelper, loadPython, mount } from "./python.mjs";
import { WebSocketPair } from "./websocket_pair.mjs";
import { Worker } from "./worker.mjs";

const log = (m) => process.stderr.write(`[pyodide-lane] ${m}\n`);
const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

class Lane {
  constructor({ work, secrets, mainIsolates, waitUntilLimitMs }) {
    this.work = work;
    this.secrets = secrets;
    this.mainIsolates = mainIsolates;
    this.waitUntilLimitMs = waitUntilLimitMs;
    this.workers = new Map();
    this.namespaces = new Map();
    this.pending = new Set();
    this.generation = 0;
    this.closed = false;
  }
  log(m) {
    log(m);
  }
  /** Work `drain()` waits for; returns the tracked promise (it never rejects). */
  track(promise) {
    const p = Promise.resolve(promise).catch((e) => log(`waitUntil task failed: ${e?.message ?? e}`));
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
    return p;
  }
  /** Stop waiting for work that was cancelled (its waitUntil time ran out). */
  forget(tracked) {
    this.pending.delete(tracked);
  }
  async drain() {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
  get stateDir() {
    return path.join(this.work, "state", String(this.generation));
  }
  namespace(scriptName, className) {
    const key = `${scriptName}:${className}`;
    if (!this.namespaces.has(key)) this.namespaces.set(key, new NamespaceImpl(this, { scriptName, className }));
    return this.namespaces.get(key);
  }

  async setUp(configPaths, prepared) {
    const t0 = performance.now();
    const defs = await Promise.all(configPaths.map(readWorker));
    const names = new Set(defs.map((d) => d.name));
    for (const d of defs) {
      for (const b of d.durableObjects) {
        if (!names.has(b.scriptName)) throw new Error(`${d.name}: ${b.binding} names script ${b.scriptName}, which is not loaded`);
      }
    }
    const unique = (items) => [...new Set(items)];
    this.resources = new Resources({
      d1: unique(defs.flatMap((d) => d.d1.map((x) => x.id))),
      kv: unique(defs.flatMap((d) => d.kv.map((x) => x.id))),
      r2: unique(defs.flatMap((d) => d.r2.map((x) => x.id))),
      queue: unique(defs.flatMap((d) => d.queue.map((x) => x.id))),
    });
    this.template = path.join(this.work, "migrated");
    fs.rmSync(this.template, { recursive: true, force: true });
    fs.rmSync(path.join(this.work, "bytecode"), { recursive: true, force: true });
    const migrated = new Set();
    const migrations = [];
    for (const d of defs) {
      for (const db of d.d1) {
        if (migrated.has(db.id) || !fs.existsSync(db.migrationsDir)) continue;
        migrated.add(db.id);
        migrations.push(applyMigrations(d.configPath, db.binding, this.template));
      }
    }
    // Only the client (pytest) interpreter gets wheels: the Workers' isolates import what wrangler
    // uploads (python_modules/ included), as on Cloudflare.
    const wheels = fs.readdirSync(prepared.wheels).map((f) => path.join(prepared.wheels, f));
    const objectScripts = new Set(defs.flatMap((d) => d.durableObjects.map((b) => b.scriptName)));
    // In parallel: dry runs, migrations, and every interpreter (the slow part).
    const builds = defs.map((d) => uploadedModules(d.configPath, path.join(this.work, "modules", d.name)));
    defs.forEach((d, i) => {
      const shape = { requestIsolates: i === 0 ? this.mainIsolates : 1, durableObjects: objectScripts.has(d.name) };
      this.workers.set(d.name, new Worker(this, { ...d, modulesDir: path.join(this.work, "modules", d.name) }, shape));
    });
    const phases = {};
    const timed = (name, promise) => promise.then((v) => ((phases[name] = seconds(t0)), v));
    const loads = [...this.workers.values()].map((w, i) =>
      w.load(prepared.pyodide, builds[i].then(() => w.def.modulesDir), path.join(this.work, "bytecode", w.name)),
    );
    // The client (pytest) interpreter imports the SDK too, to wrap `edge.env` as app code sees it.
    const mainDef = defs[0];
    const mainEnv = this.workers.get(mainDef.name).env;
    this.client = loadPython({
      pyodideDir: prepared.pyodide,
      wheels,
      helper: entrypointHelper({ env: mainEnv, waitUntil: (p) => this.track(p) }),
      flags: compatFlags(mainDef.compatibilityDate, mainDef.compatibilityFlags),
    });
    const modules = await timed("dry runs", Promise.all(builds));
    defs.forEach((d, i) => {
      const w = this.workers.get(d.name);
      w.modules = modules[i];
      if (!modules[i].includes(d.mainModule)) throw new Error(`${d.name}: dry run did not upload ${d.mainModule}`);
    });
    await timed("migrations", Promise.all(migrations));
    fs.mkdirSync(this.template, { recursive: true });
    await this.resources.start(this.#freshState());
    this.#buildEnvs(defs);
    globalThis.caches = this.resources.caches();
    globalThis.WebSocketPair = WebSocketPair;
    await timed("interpreters", Promise.all(loads));
    for (const w of this.workers.values()) await w.importMain();
    phases["main modules imported"] = seconds(t0);
    for (const ns of this.namespaces.values()) {
      if (!this.workers.get(ns.scriptName).objectIsolate.classes.has(ns.className)) {
        throw new Error(`${ns.scriptName}'s main module does not export Durable Object class ${ns.className}`);
      }
    }
    this.client = await timed("client", this.client);
    const isolates = [...this.workers.values()].flatMap((w) => w.isolates.map((i) => i.label));
    log(`ready in ${seconds(t0)} s: ${isolates.length} isolates (${isolates.join(", ")}), ${defs.map((d, i) => modules[i].length).join("+")} modules`);
    log(`  set-up milestones (s): ${Object.entries(phases).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }

  #freshState() {
    this.generation++;
    // Generations restart at 1 on every run: clear every generation a previous run left (its
    // last one is never removed), DO files too, or a later test meets that run's objects.
    fs.rmSync(path.join(this.work, "state"), { recursive: true, force: true });
    const root = path.join(this.stateDir, "persist");
    fs.cpSync(this.template, root, { recursive: true });
    return root;
  }

  #buildEnvs(defs) {
    for (const d of defs) {
      const env = this.workers.get(d.name).env;
      Object.assign(env, d.vars, this.secrets);
      for (const x of d.d1) env[x.binding] = this.resources.binding("d1", x.id);
      for (const x of d.kv) env[x.binding] = this.resources.binding("kv", x.id);
      for (const x of d.r2) env[x.binding] = this.resources.binding("r2", x.id);
      for (const x of d.queue) env[x.binding] = this.resources.binding("queue", x.id);
      for (const x of d.durableObjects) env[x.binding] = this.namespace(x.scriptName, x.className).binding;
      this.workers.get(d.name).bindEnv();
    }
  }

  /** A fresh state for the next test: migrated D1, empty KV/R2/cache, no Durable Objects. */
  async reset() {
    await this.drain();
    for (const ns of this.namespaces.values()) ns.close();
    const previous = this.stateDir;
    this.generation++;
    await this.resources.reset(this.template, path.join(this.stateDir, "persist"));
    fs.rmSync(previous, { recursive: true, force: true });
  }

  worker(name) {
    const w = name ? this.workers.get(name) : this.workers.values().next().value;
    if (!w) throw new Error(`no Worker named ${name}`);
    return w;
  }

  async close() {
    this.closed = true;
    for (const ns of this.namespaces.values()) ns.close();
    await this.resources?.dispose();
  }
}

/** The `grove_lane` module: everything the client interpreter (pytest) may do. */
function clientApi(lane) {
  const main = lane.worker();
  return {
    info: {
      main: main.name,
      workers: [...lane.workers.keys()],
      rootDomain: main.env.ROOT_DOMAIN ?? null,
      crons: Object.fromEntries([...lane.workers.values()].map((w) => [w.name, w.def.crons])),
      modules: Object.fromEntries([...lane.workers.values()].map((w) => [w.name, w.modules])),
    },
    env: (name) => lane.worker(name).env,
    async fetch(name, method, url, headers, body) {
      const request = new Request(url, { method, headers: headers ?? [], body: body ?? undefined });
      // elapsed_ms: the Worker's time for this request, from the call to the last body byte
      // (bench/pyodide_requests.py compares it between Workers; the client's own time is out).
      const t0 = performance.now();
      try {
        const response = await lane.worker(name).fetch(request);
        const bytes = new Uint8Array(await response.arrayBuffer());
        return {
          status: response.status,
          headers: [...response.headers.entries()],
          body: bytes,
          error: null,
          elapsed_ms: performance.now() - t0,
        };
      } catch (e) {
        return { status: 500, headers: [], body: new Uint8Array(), error: e?.message ?? String(e), elapsed_ms: performance.now() - t0 };
      }
    },
    async scheduled(name, cron) {
      const target = name
        ? lane.worker(name)
        : [...lane.workers.values()].find((w) => w.def.crons.includes(cron)) ??
          [...lane.workers.values()].find((w) => w.classHasMethod("Default", "scheduled"));
      if (!target) throw new Error(`no Worker has the cron trigger ${cron}`);
      return target.scheduled(cron);
    },
    reset: () => lane.reset(),
    drain: () => lane.drain(),
    async doSql(worker, binding, name, sql) {
      const ns = lane.worker(worker).env[binding];
      const impl = [...lane.namespaces.values()].find((n) => n.binding === ns);
      if (!impl) throw new Error(`${binding} is not a Durable Object namespace`);
      return impl.inspect(name, sql);
    },
    summary: null,
    report(summary) {
      this.summary = summary;
    },
  };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prepared: { type: "string" },
      work: { type: "string" },
      config: { type: "string", multiple: true },
      secrets: { type: "string", default: "{}" },
      report: { type: "string" },
      repo: { type: "string" },
      "main-isolates": { type: "string", default: "2" },
      "wait-until-limit-ms": { type: "string" },
    },
  });
  const prepared = JSON.parse(fs.readFileSync(values.prepared, "utf8"));
  const work = path.resolve(values.work);
  fs.mkdirSync(work, { recursive: true });
  const lane = new Lane({
    work,
    secrets: JSON.parse(values.secrets),
    mainIsolates: Number(values["main-isolates"]),
    waitUntilLimitMs: Number(values["wait-until-limit-ms"]),
  });
  if (!(lane.mainIsolates >= 1) || !(lane.waitUntilLimitMs > 0)) throw new Error("--main-isolates and --wait-until-limit-ms must be positive");
  const t0 = performance.now();
  let code = 1;
  try {
    await lane.setUp(values.config.map((c) => path.resolve(c)), prepared);
    const api = clientApi(lane);
    const py = lane.client;
    py.registerJsModule("grove_lane", api);
    mount(py, path.resolve(values.repo), "/repo");
    mount(py, work, "/lane-work"); // the client writes its outputs (conformance observations) here
    py.runPython("import os, sys; sys.dont_write_bytecode = True; os.chdir('/repo')");
    const pytest = py.pyimport("pytest");
    const args = py.toPy(["-p", "_lane_pytest", "--noconftest", "-p", "no:cacheprovider", ...positionals]);
    code = Number(await pytest.main.callPromising(args));
    const summary = api.summary ? JSON.parse(api.summary) : null;
    if (summary) {
      const skips = summary.skipped;
      log(`${summary.passed} passed, ${summary.failed} failed, ${skips.length} skipped in the Pyodide lane (${seconds(t0)} s)`);
      for (const s of skips) log(`  skipped ${s.nodeid}: ${s.reason}`);
      if (values.report) fs.writeFileSync(values.report, JSON.stringify({ ...summary, seconds: Number(seconds(t0)) }, null, 2));
    }
  } catch (e) {
    log(`lane failed: ${e?.stack ?? e}`);
    code = 2;
  } finally {
    await lane.close();
  }
  process.exit(code);
}

await main();
