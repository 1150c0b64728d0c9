/**
 * One Python Worker in the lane, as isolates: each is its own Pyodide, loaded the way workerd
 * loads a Python Worker (`python.mjs` `loadWorkerPython`: only the modules wrangler's dry run
 * wrote, mounted at `/session/metadata`, `python_modules/` on `sys.path`), with the main module
 * imported under its uploaded name, and its handlers called as workerd calls them.
 *
 * Isolates, as production places code (module-level state is never shared between them):
 * - `fetch`/`scheduled` go to the Worker's *request isolates*, taken in turn (round robin):
 *   production may run consecutive requests in different isolates (and locations), so the
 *   lane runs the main Worker as two by default (`--main-isolates`);
 * - the Durable Object classes the Worker defines run in an isolate of their own (production
 *   runs an object wherever its id lives, never in the caller's isolate), importing the same
 *   uploaded main module; RPC and `stub.fetch` reach it only through `durable_objects.mjs`
 *   (structured clone, `rpc.mjs`).
 * One isolate holds every Durable Object class of the Worker: production may co-locate them too,
 * but may also split them, so the lane does not prove objects never share module state.
 *
 * Calling conventions (workerd `python-entrypoint-helper.ts` + `introspection.py`, see
 * `py/_lane_entrypoints.py`): the `Default` class is constructed per event with
 * `(ExecutionContext, env)`; `fetch(request)` is a relaxed call with SDK conversion; a class-based
 * `scheduled` is a strict call with three arguments, `(controller, undefined, undefined)`: workerd's
 * `startScheduled` (api/global-scope.c++) always calls the handler with `(controller, env, ctx)`
 * (jsg::Function passes every declared argument), and for an entrypoint class it has set the
 * handler's env and ctx to undefined (worker.c++, "HACK: We set handler.env and handler.ctx to
 * undefined"); the Python wrapper does not look at the method's signature. So
 * `scheduled(self, controller)` raises TypeError on Cloudflare and `scheduled(self, controller,
 * env, ctx)` gets None for both (cloudflare/cloudflare-docs#30383): code must use `self.env`.
 */
import { PythonStrands } from "./durable_objects.mjs";
import { compatFlags, entrypointHelper, loadWorkerPython } from "./python.mjs";

/**
 * `ctx.waitUntil` of one invocation. Cloudflare: "The Worker's lifetime is extended for up to 30
 * seconds after the response is sent or the client disconnects. This time limit is shared across
 * all waitUntil() calls within the same request — if any Promises have not settled after 30
 * seconds, they are cancelled." (https://developers.cloudflare.com/workers/runtime-apis/context/#waituntil).
 * The figure comes from `local_runtime/invocation_limits.py` (run.py passes it).
 */
export class ExecutionContext {
  #lane;
  #pending = new Set(); // {tracked, cancel}
  #deadline = null; // ms since the epoch; set when the invocation ends
  #timer = undefined;
  constructor(lane) {
    this.#lane = lane;
  }
  waitUntil(promise) {
    const entry = { tracked: this.#lane.track(Promise.resolve(promise)), cancel: promise?.cancel };
    this.#pending.add(entry);
    entry.tracked.finally(() => this.#pending.delete(entry));
    this.#arm();
  }
  passThroughOnException() {}
  get props() {
    return {};
  }
  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }
  /** The invocation ended (response returned, or the handler finished): the 30 s start now. */
  ended() {
    this.#deadline = Date.now() + this.#lane.waitUntilLimitMs;
    this.#arm();
  }
  #arm() {
    if (this.#deadline === null || this.#timer !== undefined || this.#pending.size === 0) return;
    this.#timer = setTimeout(() => this.#cancel(), Math.max(0, this.#deadline - Date.now()));
    this.#timer.unref?.();
  }
  #cancel() {
    this.#timer = undefined; // a waitUntil after the deadline is cancelled at once (#arm)
    if (this.#pending.size === 0) return;
    this.#lane.log("waitUntil() tasks did not complete within the allowed time after invocation end and have been cancelled.");
    for (const entry of this.#pending) {
      try {
        entry.cancel?.();
      } catch {
        // settled meanwhile: nothing left to cancel
      }
      this.#lane.forget(entry.tracked);
    }
    this.#pending.clear();
  }
}

export class ScheduledController {
  constructor(cron, scheduledTime) {
    this.cron = cron;
    this.scheduledTime = scheduledTime;
    this.type = "scheduled";
  }
  noRetry() {}
}

/** One Pyodide running one Worker's uploaded modules. */
export class Isolate {
  /** worker: the Worker it belongs to; label: its name in logs (e.g. `grove-edge#2`). */
  constructor(worker, label) {
    this.worker = worker;
    this.label = label;
    this.env = {}; // its own env object (filled by the lane once bindings exist)
    this.classes = new Map(); // className -> methodNames
  }

  async load(pyodideDir, modulesDir, bytecodeDir) {
    const { def, lane } = this.worker;
    const flags = compatFlags(def.compatibilityDate, def.compatibilityFlags);
    const helper = entrypointHelper({ env: this.env, waitUntil: (p) => lane.track(Promise.resolve(p)) });
    this.py = await loadWorkerPython({ pyodideDir, modulesDir, bytecodeDir, helper, flags, label: this.label });
    this.strands = new PythonStrands(this.py); // Durable Objects' asyncio steps pass their gate
    return this;
  }

  /** Import the main module as workerd does: its uploaded name minus `.py`, JSPI allowed. */
  async importMain() {
    const name = this.worker.def.mainModule.slice(0, -".py".length);
    this.module = await this.py._api.pyodide_base.pyimport_impl.callPromising(name);
    this.helpers = this.py.pyimport("_lane_entrypoints");
    const found = this.helpers.describe(this.module).toJs({ dict_converter: Object.fromEntries });
    for (const kind of ["durableObjects", "workerEntrypoints"]) {
      for (const { className, methodNames } of found[kind]) this.classes.set(className, methodNames);
    }
    if (!this.classes.has("Default")) {
      throw new Error(`${this.worker.def.mainModule} does not export a Default WorkerEntrypoint class`);
    }
    return this;
  }

  classHasMethod(className, method) {
    return (this.classes.get(className) ?? []).includes(method);
  }

  // Every Python call allows JSPI (workerd's doPyCall); within a Durable Object's event it runs
  // as code of that event (its strand, durable_objects.mjs).

  /** `new Class(...args)` in this interpreter. */
  async construct(className, args) {
    const cls = this.module[className];
    if (typeof cls !== "function") throw new TypeError(`There is no '${className}' class defined in the Python Worker's main module`);
    return this.strands.call(cls, ...args);
  }

  async callMethod(instance, method, args) {
    if (!this.helpers.has_method(instance, method)) throw new TypeError(`Method ${method} does not exist`);
    return this.strands.call(this.helpers.call_converted, false, instance, method, ...args);
  }

  async callFetch(instance, request) {
    if (!this.helpers.has_method(instance, "fetch")) throw new TypeError("Method fetch does not exist");
    return this.strands.call(this.helpers.call_converted, true, instance, "fetch", request);
  }

  async callRaw(instance, method, args) {
    if (!this.helpers.has_method(instance, method)) throw new TypeError(`Method ${method} does not exist`);
    return this.strands.call(this.helpers.call_raw, instance, method, ...args);
  }

  /** One event for `Default`: constructed with a fresh ExecutionContext, then `call(instance)`. */
  async invoke(call) {
    const ctx = new ExecutionContext(this.worker.lane);
    try {
      return await call(await this.construct("Default", [ctx, this.env]));
    } finally {
      ctx.ended();
    }
  }
}

export class Worker {
  /**
   * def: {name, modulesDir, mainModule (its uploaded name), compatibilityDate, compatibilityFlags};
   * requestIsolates: how many isolates serve fetch/scheduled; durableObjects: whether it
   * defines Durable Object classes some namespace binds (they get an isolate of their own).
   */
  constructor(lane, def, { requestIsolates = 1, durableObjects = false } = {}) {
    this.lane = lane;
    this.def = def;
    this.name = def.name;
    this.env = {}; // the bindings as the lane built them; each isolate gets its own copy
    this.requestIsolates = Array.from({ length: requestIsolates }, (_, i) =>
      new Isolate(this, requestIsolates > 1 ? `${def.name}#${i + 1}` : def.name),
    );
    this.objectIsolate = durableObjects ? new Isolate(this, `${def.name}#objects`) : null;
    this.turn = 0;
  }

  get isolates() {
    return [...this.requestIsolates, ...(this.objectIsolate ? [this.objectIsolate] : [])];
  }

  /** `bytecodeDir`: shared by this Worker's isolates (python.mjs `loadWorkerPython`). */
  load(pyodideDir, modulesDir, bytecodeDir) {
    return Promise.all(this.isolates.map((isolate) => isolate.load(pyodideDir, modulesDir, bytecodeDir)));
  }

  /** Give every isolate the bindings (a copy of `env` each, as each isolate has its own). */
  bindEnv() {
    for (const isolate of this.isolates) Object.assign(isolate.env, this.env);
  }

  async importMain() {
    for (const isolate of this.isolates) await isolate.importMain();
  }

  get classes() {
    return this.requestIsolates[0].classes;
  }

  classHasMethod(className, method) {
    return this.requestIsolates[0].classHasMethod(className, method);
  }

  /** The request isolate for the next event: each in turn. */
  #next() {
    const isolate = this.requestIsolates[this.turn % this.requestIsolates.length];
    this.turn++;
    return isolate;
  }

  /** A request to `Default.fetch`; returns the JS Response. */
  async fetch(request) {
    const isolate = this.#next();
    const response = await isolate.invoke((instance) => isolate.callFetch(instance, request));
    if (!(response instanceof Response)) {
      throw new TypeError(`${this.name}: fetch() returned ${response?.constructor?.name ?? response}, not a Response`);
    }
    return response;
  }

  /** A cron trigger; returns what the handler returned, as it crossed into JS. */
  async scheduled(cron, scheduledTime = Date.now()) {
    const isolate = this.#next();
    const controller = new ScheduledController(cron, scheduledTime);
    return isolate.invoke((instance) => isolate.callMethod(instance, "scheduled", [controller, undefined, undefined]));
  }
}
