/**
 * One Python Worker in the lane: its own Pyodide (as each Worker has its own isolate), the
 * modules wrangler would upload mounted where workerd puts them (`/session/metadata`), the main
 * module imported as workerd imports it, and its handlers called as workerd calls them.
 *
 * Calling conventions (workerd `python-entrypoint-helper.ts` + `introspection.py`, see
 * `py/_lane_entrypoints.py`): the `Default` class is constructed per event with
 * `(ExecutionContext, env)`; `fetch(request)` is a relaxed call with SDK conversion; a class-based
 * `scheduled` handler is called strictly with `(controller, undefined, undefined)`: `env` and `ctx`
 * reach Python as None (cloudflare/cloudflare-docs#30383), code must use `self.env`.
 */
import path from "node:path";
import { PythonStrands } from "./durable_objects.mjs";
import { compatFlags, entrypointHelper, loadPython, mount } from "./python.mjs";

const MODULE_ROOT = "/session/metadata";

export class ExecutionContext {
  #lane;
  constructor(lane) {
    this.#lane = lane;
  }
  waitUntil(promise) {
    this.#lane.track(Promise.resolve(promise));
  }
  passThroughOnException() {}
  get props() {
    return {};
  }
  get [Symbol.toStringTag]() {
    return "ExecutionContext";
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

export class Worker {
  /** def: {name, modulesDir, mainModule, compatibilityDate, compatibilityFlags}; env: the JS env. */
  constructor(lane, def, env) {
    this.lane = lane;
    this.def = def;
    this.name = def.name;
    this.env = env;
    this.classes = new Map(); // className -> methodNames
  }

  async load(pyodideDir, wheels) {
    const flags = compatFlags(this.def.compatibilityDate, this.def.compatibilityFlags);
    const helper = entrypointHelper({ env: this.env, waitUntil: (p) => this.lane.track(Promise.resolve(p)) });
    this.py = await loadPython({ pyodideDir, wheels, helper, flags, label: this.name });
    this.strands = new PythonStrands(this.py); // Durable Objects' asyncio steps pass their gate
    return this;
  }

  /** Mount the uploaded modules and import the main module (module names start at its folder). */
  async importMain() {
    mount(this.py, this.def.modulesDir, MODULE_ROOT);
    // workerd's module tree is read-only: no bytecode is written next to the modules.
    this.py.runPython(`import sys; sys.dont_write_bytecode = True; sys.path.insert(0, ${JSON.stringify(MODULE_ROOT)})`);
    const name = path.basename(this.def.mainModule, ".py");
    const importer = this.py._api?.pyodide_base?.pyimport_impl;
    this.module = importer ? await importer.callPromising(name) : this.py.pyimport(name);
    this.helpers = this.py.pyimport("_lane_entrypoints");
    const found = this.helpers.describe(this.module).toJs({ dict_converter: Object.fromEntries });
    for (const kind of ["durableObjects", "workerEntrypoints"]) {
      for (const { className, methodNames } of found[kind]) this.classes.set(className, methodNames);
    }
    if (!this.classes.has("Default")) {
      throw new Error(`${this.def.mainModule} does not export a Default WorkerEntrypoint class`);
    }
    return this;
  }

  classHasMethod(className, method) {
    return (this.classes.get(className) ?? []).includes(method);
  }

  // Every Python call allows JSPI (workerd's doPyCall); within a Durable Object's event it runs
  // as code of that event (its strand, durable_objects.mjs).

  /** `new Class(...args)` in this Worker's interpreter. */
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

  async #entrypoint() {
    return this.construct("Default", [new ExecutionContext(this.lane), this.env]);
  }

  /** A request to `Default.fetch`; returns the JS Response. */
  async fetch(request) {
    const instance = await this.#entrypoint();
    const response = await this.callFetch(instance, request);
    if (!(response instanceof Response)) {
      throw new TypeError(`${this.name}: fetch() returned ${response?.constructor?.name ?? response}, not a Response`);
    }
    return response;
  }

  /** A cron trigger; returns what the handler returned, as it crossed into JS. */
  async scheduled(cron, scheduledTime = Date.now()) {
    const instance = await this.#entrypoint();
    const controller = new ScheduledController(cron, scheduledTime);
    return this.callMethod(instance, "scheduled", [controller, undefined, undefined]);
  }
}
