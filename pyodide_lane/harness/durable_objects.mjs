/**
 * Durable Object namespaces inside the Pyodide lane, with the local runtime's semantics.
 *
 * - `idFromName(name)` is deterministic (HMAC-SHA256 of the name keyed by the class name, the
 *   same ids as local_runtime), `newUniqueId()`, `idFromString(hex)`; `get`/`getByName` give a
 *   stub on which every property is an RPC method; `stub.fetch(...)` delivers a request.
 * - One live instance per id, constructed in the Durable Object isolate of the Worker that
 *   defines the class (its own Pyodide, never the caller's: worker.mjs) with
 *   `(DurableObjectState, env)`; the SDK wraps both as in production.
 * - Input gate, workerd's rule (io/io-gate.h, api/actor-state.c++; local_runtime/gates.py
 *   states it): an object runs one piece of code at a time, but not one event at a time. The
 *   gate is closed only (a) while a storage operation is outstanding and (b) while a critical
 *   section runs: a `blockConcurrencyWhile(fn)` callback (one the constructor started is part of
 *   construction) or a `storage.transaction(fn)` callback. Otherwise, whenever an event awaits
 *   anything (I/O, a timer, a future another event resolves), other events are delivered and
 *   other code resumes. While a section runs, only its own code (and I/O it started) proceeds;
 *   the code that started it resumes when it has ended; sections nest and take turns.
 *   How the lane enforces it:
 *     - "which code is this": a strand, one per event and one per critical section. Python
 *       code carries it in a context variable (`py/_lane_gate.py`), exactly as the local runtime
 *       carries its scope: the event's (or section's) task has it, tasks it creates inherit it,
 *       and a step belongs to the task it resumes, whoever woke it. JS code carries it with
 *       AsyncLocalStorage, also the fallback for Python code outside such a task (e.g. a
 *       coroutine handed to waitUntil).
 *     - new events wait in `deliver` until no critical section holds the gate; every awaited
 *       binding or stub call (`names.mjs` `gated`) resumes only once its strand may run again;
 *     - every asyncio step of a Worker's interpreter goes through the gate of its strand
 *       (`PythonStrands`), in order, one per macrotask as Pyodide runs them: a step runs only
 *       when its strand may run. That holds timers and futures during a critical section (the
 *       local runtime cannot hold those) and makes (a) hold: storage here is synchronous
 *       `node:sqlite` whose promises are already resolved (as for SQLite-backed objects), but
 *       Pyodide resumes the awaiting code a macrotask later, so from a storage call until the
 *       steps that resume its caller have run, no other strand's step runs. A read-modify-write
 *       with nothing but storage awaits in between is atomic, as in the local runtime; a storage
 *       call nobody awaits stops holding the gate as soon as another strand's step is due.
 * - RPC: arguments and results structured-cloned (`rpc.mjs`), converted on the object's side by
 *   the SDK's `python_from_rpc`/`python_to_rpc` (the caller's SDK converts its side).
 * - A `blockConcurrencyWhile` callback that throws resets the object (the next event constructs
 *   it again; a constructor's failing callback fails the event that constructed it);
 *   `storage.transaction(fn)` rolls back and does not reset.
 * - Alarms: one per object, stored with the object (survives eviction), fired on real time,
 *   cleared before `alarm(alarmInfo)` runs, retried after 2 s, 4 s, ... (6 retries) on failure.
 * - Storage: `do_storage.mjs`, one SQLite file per object under the lane's state directory.
 */
import crypto from "node:crypto";
import path from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import { DurableObjectStorage } from "./do_storage.mjs";
import { RPC_STUB, cloneForRpc, remoteError } from "./rpc.mjs";
import { gated, unwrap } from "./names.mjs";

const ALARM_RETRY_BASE_MS = 2000;
const ALARM_MAX_RETRIES = 6;
// The strand of the JS code running: {gate, section} (section null: the object's top level, one
// strand per event; otherwise one strand per critical section). Undefined outside every object.
// Python code's strand is its task's (py/_lane_gate.py): see `PythonStrands.now`.
const current = new AsyncLocalStorage();

const QUEUED = "queued";
const RUNNING = "running";
const DONE = "done";

/** One `blockConcurrencyWhile` (or `transaction`) callback's hold on an input gate. */
class CriticalSection {
  constructor(parent) {
    this.parent = parent; // the section whose code started it; null: the object's top level
    this.state = QUEUED;
  }
}

/** Code of a section that has ended continues in its parent's scope (workerd: "reparented"). */
function live(section) {
  while (section && section.state === DONE) section = section.parent;
  return section ?? null;
}

/** Pyodide's own rule for scheduleCallback: up to 2 ms is "now" (setImmediate under Node). */
function scheduleRaw(callback, delayMs) {
  if (!(delayMs > 2)) setImmediate(callback);
  else setTimeout(callback, delayMs);
}

class InputGate {
  #strandNow; // () => the strand of the code running now (PythonStrands.now)
  #holder = null; // innermost running critical section; null: no section runs
  #sections = []; // sections waiting for their turn, in order
  #waiters = []; // JS code waiting until its strand may run: {strand, resume}
  #steps = []; // asyncio steps due to run, in order: {strand, callback, resumesStorage}
  #pumping = false;
  #running = false; // a step is running now (synchronously)
  #storageOwner = null; // the strand that has not yet resumed after its storage operation

  constructor(strandNow) {
    this.#strandNow = strandNow;
  }

  /** Whether code of `strand` may run as far as critical sections go. */
  #mayRun(strand) {
    return this.#holder === live(strand?.section ?? null);
  }

  // --- critical sections ---------------------------------------------------------------

  /** Open a critical section now; its parent is the scope of `caller` if it is this object's. */
  begin(caller) {
    const parent = caller?.gate === this ? live(caller.section) : null;
    const section = new CriticalSection(parent);
    this.#sections.push(section);
    this.#advance();
    return section;
  }
  end(section) {
    if (section.state === DONE) return;
    if (section.state === QUEUED) this.#sections.splice(this.#sections.indexOf(section), 1);
    section.state = DONE;
    if (this.#holder === section) this.#holder = live(section.parent);
    this.#advance();
  }
  /** Start each queued section whose parent scope holds the gate; wake whoever may run now. */
  #advance() {
    for (;;) {
      const ready = this.#sections.find((s) => live(s.parent) === this.#holder);
      if (!ready) break;
      this.#sections.splice(this.#sections.indexOf(ready), 1);
      ready.state = RUNNING;
      this.#holder = ready;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (this.#mayRun(w.strand)) w.resume();
      else this.#waiters.push(w);
    }
    this.#kick();
  }
  /** Resolves once code of `strand` may run (no critical section but its own holds the gate). */
  async wait(strand) {
    while (!this.#mayRun(strand)) await new Promise((resume) => this.#waiters.push({ strand, resume }));
  }
  /**
   * Run `body()` as a critical section opened now by the running code; ends it when settled.
   * `body` runs with the section's strand as AsyncLocalStorage's store, so Python callables it
   * calls through `PythonStrands.call` run as tasks of the section.
   */
  critical(body, onError = null) {
    const section = this.begin(this.#strandNow());
    const strand = { gate: this, section };
    return current.run(strand, async () => {
      try {
        await this.wait(strand);
        return await body();
      } catch (e) {
        onError?.(e);
        throw e;
      } finally {
        this.end(section);
      }
    });
  }

  // --- I/O and storage -----------------------------------------------------------------

  /** Non-storage I/O started by this object's code: on completion, resume once it may run. */
  io(promise) {
    const strand = this.#strandNow();
    if (strand?.gate !== this) return promise;
    return Promise.resolve(promise).then(
      async (value) => {
        await this.wait(strand);
        return value;
      },
      async (error) => {
        await this.wait(strand);
        throw error;
      },
    );
  }
  /** An async storage call (already done): nothing else runs until its caller has resumed. */
  storageOp(promise) {
    const strand = this.#strandNow();
    if (strand?.gate === this) this.#storageOwner = strand;
    return promise;
  }

  // --- asyncio steps -------------------------------------------------------------------

  /** A step of this object's Python code (Pyodide's scheduleCallback), run through the gate. */
  schedule(strand, callback, delayMs) {
    // Scheduled by the owner's storage promise settling (a reaction, not code of a step): the
    // owner resuming with the operation's result (Pyodide schedules the task's wakeup and the
    // loop's bookkeeping callback of the future it awaited).
    const resumesStorage = !this.#running && delayMs <= 2 && this.#storageOwner === strand;
    const step = { strand, callback, resumesStorage };
    const due = () => {
      this.#steps.push(step);
      this.#kick();
    };
    if (delayMs > 2) setTimeout(due, delayMs);
    else due();
  }
  #kick() {
    if (this.#pumping || this.#steps.length === 0) return;
    this.#pumping = true;
    setImmediate(() => this.#pump());
  }
  /** Run the first step that may run (one per macrotask, as Pyodide would); the rest wait. */
  #pump() {
    this.#pumping = false;
    const i = this.#steps.findIndex((step) => this.#admits(step.strand));
    if (i < 0) return; // kicked again when a section ends or starts
    const [step] = this.#steps.splice(i, 1);
    if (step.strand === this.#storageOwner && !this.#resumingStorage(step.strand)) {
      this.#storageOwner = null; // its last resuming step runs now (a new operation sets it again)
    }
    this.#running = true;
    try {
      current.run(step.strand, step.callback);
    } finally {
      this.#running = false;
      this.#kick();
    }
  }
  #resumingStorage(strand) {
    return this.#steps.some((step) => step.strand === strand && step.resumesStorage);
  }
  #admits(strand) {
    if (!this.#mayRun(strand)) return false;
    const owner = this.#storageOwner;
    if (owner === null || owner === strand || !this.#mayRun(owner)) return true;
    if (this.#resumingStorage(owner)) return false;
    this.#storageOwner = null; // nothing of the caller resumes from it: it was not awaited
    return true;
  }
}

/**
 * The strands of one Worker's interpreter (`py/_lane_gate.py`). Constructing it routes the
 * interpreter's asyncio scheduling through the input gates: a step of a Durable Object's strand
 * runs when the object's gate lets it (see above); every other step is scheduled exactly as
 * Pyodide schedules it.
 */
export class PythonStrands {
  #module;
  constructor(py) {
    this.#module = py.pyimport("_lane_gate");
    this.#module.install((callback, delayMs, strand) => {
      strand ??= current.getStore();
      if (strand?.gate) strand.gate.schedule(strand, callback, delayMs ?? 0);
      else scheduleRaw(callback, delayMs ?? 0);
    });
  }
  /** The strand of the code running now: its Python task's if it has one, else the JS code's. */
  now() {
    return this.#module.current() ?? current.getStore();
  }
  /**
   * Call a Python callable as workerd does (JSPI allowed: doPyCall), inside the JS code's
   * strand if there is one: a coroutine it returns runs as a task of that strand.
   */
  call(fn, ...args) {
    if (typeof fn?.callWithOptions !== "function") return fn(...args);
    const strand = current.getStore();
    if (!strand) return fn.callWithOptions({ promising: true }, ...args);
    return this.#module.start.callWithOptions({ promising: true }, strand, fn, ...args);
  }
}

export class DurableObjectId {
  #hex;
  constructor(hex, name) {
    this.#hex = hex;
    if (name !== undefined) this.name = name;
  }
  toString() {
    return this.#hex;
  }
  equals(other) {
    return other instanceof DurableObjectId && other.toString() === this.#hex;
  }
}

/** `ctx` of an object (the SDK wraps it in DurableObjectContext; `storage` in _BindingWrapper). */
export class DurableObjectState {
  #slot;
  #life;
  constructor(slot, life) {
    this.#slot = slot;
    this.#life = life;
    this.id = slot.id;
    this.storage = slot.storage;
  }
  blockConcurrencyWhile(fn) {
    if (typeof fn !== "function") throw new TypeError("blockConcurrencyWhile() requires a function");
    // A Python callable is only borrowed for this call; the section may start later.
    const callback = typeof fn.copy === "function" ? fn.copy() : fn;
    const slot = this.#slot;
    const life = this.#life;
    const promise = slot.gate.critical(
      async () => {
        try {
          return await slot.namespace.worker.strands.call(callback);
        } finally {
          callback.destroy?.();
        }
      },
      (e) => slot.namespace.blockerFailed(slot, life, e),
    );
    slot.namespace.lane.track(promise.catch(() => undefined)); // drain() waits for it
    return promise;
  }
  waitUntil(p) {
    if (p && typeof p.copy === "function") p = p.copy();
    this.#slot.namespace.lane.track(Promise.resolve(p));
  }
  abort(reason) {
    this.#slot.namespace.evict(this.#slot, reason);
  }
  acceptWebSocket(ws, tags = []) {
    this.#slot.namespace.acceptWebSocket(this.#slot, ws, tags);
  }
  getWebSockets(tag) {
    return [...this.#slot.sockets.entries()].filter(([, t]) => tag === undefined || t.includes(tag)).map(([ws]) => ws);
  }
  getTags(ws) {
    return [...(this.#slot.sockets.get(ws) ?? [])];
  }
}

function makeStub(namespace, id) {
  const slotOf = () => namespace.slot(id.toString(), id);
  const target = { id, name: id.name };
  const stub = new Proxy(target, {
    get(t, prop) {
      if (prop === RPC_STUB) return true;
      if (typeof prop !== "string" || prop === "then" || prop === "toJSON") return undefined;
      if (prop === "id" || prop === "name") return t[prop];
      if (prop === "constructor") return StubConstructor;
      if (prop === "fetch") return (input, init) => namespace.fetch(slotOf(), new Request(input, init));
      return (...args) => namespace.call(slotOf(), prop, args.map((a) => cloneForRpc(a)));
    },
  });
  return stub;
}
const StubConstructor = function DurableObject() {};

/** The binding (`env.FEEDS`): its constructor name is what the SDK checks. */
export class DurableObjectNamespace {
  #impl;
  constructor(impl) {
    this.#impl = impl;
  }
  idFromName(name) {
    if (typeof name !== "string") throw new TypeError("idFromName() requires a string");
    const hex = crypto.createHmac("sha256", this.#impl.className).update(name, "utf8").digest("hex");
    return new DurableObjectId(hex, name);
  }
  newUniqueId() {
    return new DurableObjectId(crypto.randomBytes(32).toString("hex"));
  }
  idFromString(hex) {
    if (typeof hex !== "string" || !/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new TypeError("Invalid Durable Object ID: must be 64 hex digits");
    }
    return new DurableObjectId(hex.toLowerCase());
  }
  get(id) {
    id = unwrap(id);
    if (!(id instanceof DurableObjectId)) throw new TypeError("get() requires a DurableObjectId");
    return makeStub(this.#impl, id);
  }
  getByName(name) {
    return this.get(this.idFromName(name));
  }
  jurisdiction() {
    return this;
  }
}

/** One class's objects: instances, storage files, gates and alarms. */
export class NamespaceImpl {
  constructor(lane, { scriptName, className }) {
    this.lane = lane;
    this.scriptName = scriptName;
    this.className = className;
    this.slots = new Map();
    this.binding = new DurableObjectNamespace(this);
  }
  /** The isolate the class runs in: its Worker's Durable Object isolate (worker.mjs). */
  get worker() {
    return this.lane.workers.get(this.scriptName).objectIsolate;
  }
  /** The object with id `hex`; `id` (when given) carries the name it was reached by. */
  slot(hex, id = undefined) {
    let slot = this.slots.get(hex);
    if (slot && id?.name !== undefined && slot.id.name === undefined) slot.id = id;
    if (!slot) {
      const gate = new InputGate(() => this.worker.strands.now());
      slot = { id: id ?? new DurableObjectId(hex), namespace: this, gate, life: null, sockets: new Map() };
      const file = path.join(this.lane.stateDir, "do", this.className, `${hex}.sqlite`);
      slot.storage = new DurableObjectStorage(file, {
        hasAlarmHandler: () => this.worker.classHasMethod(this.className, "alarm"),
        alarmChanged: (at) => this.#scheduleAlarm(slot, at),
        storageOp: (p) => slot.gate.storageOp(p),
        critical: (body) => slot.gate.critical(body),
        call: (fn, ...args) => this.worker.strands.call(fn, ...args),
      });
      this.slots.set(hex, slot);
    }
    return slot;
  }
  #envFor(slot) {
    const env = {};
    for (const [key, value] of Object.entries(this.worker.env)) {
      const name = value?.constructor?.name;
      env[key] = value && typeof value === "object" && name && name !== "Object" ? gated(value, name, slot.gate) : value;
    }
    return env;
  }
  /**
   * The live instance (constructed within the delivering event `strand`), once the event may
   * run: a `blockConcurrencyWhile` the constructor started is part of construction.
   */
  async #instance(slot, strand) {
    for (;;) {
      let life = slot.life;
      const constructing = !life;
      if (constructing) {
        life = slot.life = { failure: null };
        life.instance = (async () => {
          const state = new DurableObjectState(slot, life);
          return this.worker.construct(this.className, [state, this.#envFor(slot)]);
        })();
        life.instance.catch(() => {
          if (slot.life === life) slot.life = null;
        });
      }
      const instance = await life.instance;
      await slot.gate.wait(strand);
      if (slot.life === life) return instance;
      if (constructing && life.failure) throw life.failure;
      // The object was reset meanwhile (a failing blockConcurrencyWhile): a new instance.
    }
  }
  /** A `blockConcurrencyWhile` callback threw: reset the object before its section ends. */
  blockerFailed(slot, life, error) {
    const reason = String(error?.message ?? error).trim().split("\n").pop(); // a Python traceback's last line
    this.lane.log(`blockConcurrencyWhile callback of ${this.className} failed; resetting: ${reason}`);
    life.failure = error;
    if (slot.life === life) slot.life = null;
  }
  /**
   * Deliver one event to the object: once no critical section holds its gate, get the instance,
   * then `fn(instance)`. The event does not hold the gate while it runs.
   */
  async deliver(slot, fn) {
    const strand = { gate: slot.gate, section: null };
    return current.run(strand, async () => {
      await slot.gate.wait(strand);
      return fn(await this.#instance(slot, strand));
    });
  }
  async call(slot, method, args) {
    try {
      const result = await this.deliver(slot, (instance) => this.worker.callMethod(instance, method, args));
      return cloneForRpc(result);
    } catch (e) {
      throw remoteError(e);
    }
  }
  async fetch(slot, request) {
    return this.deliver(slot, (instance) => this.worker.callFetch(instance, request));
  }
  #scheduleAlarm(slot, at) {
    clearTimeout(slot.alarmTimer);
    slot.alarmTimer = undefined;
    if (at === null || at === undefined || this.lane.closed) return;
    slot.alarmTimer = setTimeout(() => this.lane.track(this.#fireAlarm(slot)), Math.max(0, at - Date.now()));
    slot.alarmTimer.unref?.();
  }
  async #fireAlarm(slot) {
    await this.deliver(slot, async (instance) => {
      const { at, retries } = slot.storage.alarmState();
      if (at === null) return;
      if (at > Date.now()) return this.#scheduleAlarm(slot, at);
      slot.storage.setAlarmState(null, 0);
      try {
        await this.worker.callRaw(instance, "alarm", [{ retryCount: retries, isRetry: retries > 0 }]);
      } catch (e) {
        this.lane.log(`alarm() of ${this.className} ${slot.id} failed (attempt ${retries + 1}): ${e.message}`);
        if (slot.storage.alarmState().at === null && retries < ALARM_MAX_RETRIES) {
          slot.storage.setAlarmState(Date.now() + ALARM_RETRY_BASE_MS * 2 ** retries, retries + 1);
        }
      }
    });
  }
  acceptWebSocket(slot, ws, tags) {
    slot.sockets.set(ws, [...tags]);
    ws.accept?.({ hibernatable: true });
    ws.addEventListener("message", (event) =>
      this.lane.track(this.deliver(slot, (inst) => this.worker.callRaw(inst, "webSocketMessage", [ws, event.data]))),
    );
    ws.addEventListener("close", (event) => {
      slot.sockets.delete(ws);
      this.lane.track(
        this.deliver(slot, (inst) => this.worker.callRaw(inst, "webSocketClose", [ws, event.code, event.reason, event.wasClean])),
      );
    });
  }
  evict(slot) {
    slot.life = null;
  }
  /** Lane introspection: SQL against an object's storage, constructing it first. */
  async inspect(name, sql) {
    const id = this.binding.idFromName(name);
    const slot = this.slot(id.toString(), id);
    await this.deliver(slot, async () => undefined);
    return slot.storage.sql.exec(sql).toArray();
  }
  close() {
    for (const slot of this.slots.values()) {
      clearTimeout(slot.alarmTimer);
      slot.storage.close();
    }
    this.slots.clear();
  }
}
