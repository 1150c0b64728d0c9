/**
 * Durable Object namespaces inside the Pyodide lane, with the local runtime's semantics.
 *
 * - `idFromName(name)` is deterministic (HMAC-SHA256 of the name keyed by the class name, the
 *   same ids as local_runtime), `newUniqueId()`, `idFromString(hex)`; `get`/`getByName` give a
 *   stub on which every property is an RPC method; `stub.fetch(...)` delivers a request.
 * - One live instance per id, constructed in the Worker that defines the class (its own Pyodide)
 *   with `(DurableObjectState, env)`; the SDK wraps both as in production.
 * - Input gate: one event at a time; a second event starts only while the running one awaits
 *   I/O other than its own storage (its env bindings, other objects), or after it finished.
 *   `blockConcurrencyWhile(fn)` holds every event back until `fn` settles. Which event is
 *   running is tracked with AsyncLocalStorage, as the local runtime tracks it with contextvars.
 * - RPC: arguments and results structured-cloned (`rpc.mjs`), converted on the object's side by
 *   the SDK's `python_from_rpc`/`python_to_rpc` (the caller's SDK converts its side).
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
const current = new AsyncLocalStorage(); // the event (token) whose code is running

class InputGate {
  #holder = null;
  #blockers = 0;
  #waiters = [];
  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
  #free() {
    return this.#holder === null && this.#blockers === 0;
  }
  async acquire(token) {
    while (!this.#free()) await new Promise((r) => this.#waiters.push(r));
    this.#holder = token;
  }
  release(token) {
    if (this.#holder === token) {
      this.#holder = null;
      this.#wake();
    }
  }
  /** External I/O started by the running event: the gate is open until it settles. */
  async io(promise) {
    const token = current.getStore();
    if (!token || token.gate !== this || this.#holder !== token) return promise;
    this.release(token);
    try {
      return await promise;
    } finally {
      await this.acquire(token);
    }
  }
  block(promise) {
    this.#blockers++;
    const done = () => {
      this.#blockers--;
      this.#wake();
    };
    promise.then(done, done);
    return promise;
  }
  async blockersSettled() {
    while (this.#blockers > 0) await new Promise((r) => this.#waiters.push(r));
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
  constructor(slot) {
    this.#slot = slot;
    this.id = slot.id;
    this.storage = slot.storage;
  }
  blockConcurrencyWhile(fn) {
    // Called now (a Python callable is only borrowed for this call), awaited by the gate.
    const promise = current.run(undefined, async () => await fn());
    return this.#slot.gate.block(promise);
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
  get worker() {
    return this.lane.workers.get(this.scriptName);
  }
  /** The object with id `hex`; `id` (when given) carries the name it was reached by. */
  slot(hex, id = undefined) {
    let slot = this.slots.get(hex);
    if (slot && id?.name !== undefined && slot.id.name === undefined) slot.id = id;
    if (!slot) {
      slot = { id: id ?? new DurableObjectId(hex), namespace: this, gate: new InputGate(), instance: null, sockets: new Map() };
      const file = path.join(this.lane.stateDir, "do", this.className, `${hex}.sqlite`);
      slot.storage = new DurableObjectStorage(file, {
        hasAlarmHandler: () => this.worker.classHasMethod(this.className, "alarm"),
        alarmChanged: (at) => this.#scheduleAlarm(slot, at),
        storageOp: (p) => p,
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
  async #instance(slot) {
    if (!slot.instance) {
      slot.instance = (async () => {
        const state = new DurableObjectState(slot);
        return this.worker.construct(this.className, [state, this.#envFor(slot)]);
      })();
      slot.instance.catch(() => (slot.instance = null));
    }
    const instance = await slot.instance;
    await slot.gate.blockersSettled();
    return instance;
  }
  /** Deliver one event to the object: gate, instance, then `fn(instance)`. */
  async deliver(slot, fn) {
    const token = { gate: slot.gate };
    await slot.gate.acquire(token);
    try {
      return await current.run(token, async () => fn(await this.#instance(slot)));
    } finally {
      slot.gate.release(token);
    }
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
    slot.instance = null;
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
