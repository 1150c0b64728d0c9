/**
 * `ctx.storage` of a Durable Object in the Pyodide lane, on `node:sqlite` (one file per object).
 *
 * Same JS shapes as workerd's (`DurableObjectStorage`, `SqlStorage`, `SqlStorageCursor`, with
 * those constructor names), so the real SDK wraps and converts them as in production:
 *
 * - `sql.exec(query, ...bindings)` is synchronous; several statements may be given, bindings
 *   go to the last one and the cursor is the last one's. Bindings: null, string, number (bound
 *   as a double, as workerd does), ArrayBuffer/typed array (blob); anything else becomes
 *   `String(value)`. Results: INTEGER beyond 2**53 as a (lossy) number, blobs as ArrayBuffer.
 *   The authorizer and limits of `sql_rules.mjs`.
 * - Key-value API in the hidden `_cf_KV` table, values V8-serialized (`node:v8`, the
 *   serializer workerd uses): `get`, `put`, `delete`, `list` (a `Map`), `deleteAll`.
 * - `transactionSync(fn)`, `transaction(fn)` on savepoints; `getAlarm`/`setAlarm`/`deleteAlarm`
 *   with the alarm stored in `_cf_METADATA` (survives eviction).
 *
 * Every write is committed when the call returns. The async methods resolve at once (as for a
 * SQLite-backed object); the object's input gate stays closed until the caller has resumed (it
 * is storage, not I/O). `transaction(fn)` runs `fn` as a critical section of the gate (workerd
 * runs it through blockConcurrencyWhile): nothing else of the object runs until it has ended.
 */
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import { DatabaseSync, constants as C } from "node:sqlite";
import {
  MAX_BOUND_PARAMETERS,
  MAX_STATEMENT_BYTES,
  authorize,
  firstKeyword,
  splitStatements,
} from "./sql_rules.mjs";

const MAX_KEYS_PER_CALL = 128;
const ALARM_KEY = 1;
const RETRY_KEY = 2;

const err = (message) => new Error(message);

function bindValue(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number") return v; // node:sqlite binds a JS number as a double, like workerd
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return String(v);
}

function readValue(v) {
  if (typeof v === "bigint") return Number(v); // int64 -> double, precision lost as in workerd
  if (v instanceof Uint8Array) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  return v;
}

export class SqlStorageCursor {
  #columns;
  #rows;
  #pos = 0;
  #read;
  #written;
  constructor(columns, rows, rowsRead, rowsWritten) {
    this.#columns = columns;
    this.#rows = rows;
    this.#read = rowsRead;
    this.#written = rowsWritten;
  }
  get columnNames() {
    return [...this.#columns];
  }
  get rowsRead() {
    return this.#read;
  }
  get rowsWritten() {
    return this.#written;
  }
  #object(row) {
    const o = {};
    this.#columns.forEach((c, i) => (o[c] = row[i]));
    return o;
  }
  #take() {
    return this.#pos < this.#rows.length ? this.#rows[this.#pos++] : undefined;
  }
  next() {
    const row = this.#take();
    return row === undefined ? { done: true, value: undefined } : { done: false, value: this.#object(row) };
  }
  toArray() {
    const out = [];
    for (let r = this.#take(); r !== undefined; r = this.#take()) out.push(this.#object(r));
    return out;
  }
  one() {
    const row = this.#take();
    if (row === undefined) throw err("Expected exactly one result from SQL query, but got no results.");
    if (this.#take() !== undefined) {
      this.#pos = this.#rows.length;
      throw err("Expected exactly one result from SQL query, but got multiple results.");
    }
    return this.#object(row);
  }
  raw() {
    const cursor = this;
    const take = () => this.#take();
    return {
      next() {
        const row = take();
        return row === undefined ? { done: true, value: undefined } : { done: false, value: [...row] };
      },
      toArray() {
        const out = [];
        for (let r = take(); r !== undefined; r = take()) out.push([...r]);
        return out;
      },
      get columnNames() {
        return cursor.columnNames;
      },
      [Symbol.iterator]() {
        return this;
      },
    };
  }
  [Symbol.iterator]() {
    return this;
  }
}

export class SqlStorage {
  #storage;
  constructor(storage) {
    this.#storage = storage;
  }
  exec(query, ...bindings) {
    if (typeof query !== "string") throw new TypeError("exec() requires a SQL string as its first argument");
    return this.#storage._execUser(query, bindings.map(bindValue));
  }
  get databaseSize() {
    return this.#storage._databaseSize();
  }
}

export class DurableObjectStorage {
  #db;
  #denied = { reason: null };
  #trusted = 0;
  #sp = 0;
  #depth = 0;
  #kvReady = false;
  #hooks;

  /**
   * hooks: {hasAlarmHandler(), alarmChanged(ms|null), storageOp(promise) -> promise (an async
   * call just made), critical(body) -> promise (run `body()` as a critical section),
   * call(fn, ...args) (call a Python callable; in a critical section, as code of the section)}
   */
  constructor(file, hooks) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.#hooks = hooks;
    this.#db = new DatabaseSync(file);
    this.#db.setAuthorizer((action, a1, a2, dbName) =>
      this.#trusted ? C.SQLITE_OK : authorize(action, a1, a2, dbName, this.#denied),
    );
    this.#internal("PRAGMA journal_mode=WAL");
    this.#kvReady = this.#tableExists("_cf_KV");
    this.sql = new SqlStorage(this);
  }

  close() {
    if (this.#db.isOpen) this.#db.close();
  }

  // --- plumbing ---------------------------------------------------------------------------

  #internal(sql, params = []) {
    this.#trusted++;
    try {
      const stmt = this.#db.prepare(sql);
      stmt.setReadBigInts(true);
      return stmt.columns().length ? stmt.all(...params) : (stmt.run(...params), []);
    } finally {
      this.#trusted--;
    }
  }
  #tableExists(name) {
    return this.#internal("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).length > 0;
  }
  #atomic(fn) {
    const name = `_cf_sp_${++this.#sp}`;
    this.#internal(`SAVEPOINT ${name}`);
    this.#depth++;
    let result;
    try {
      result = fn();
    } catch (e) {
      this.#internal(`ROLLBACK TO ${name}`);
      this.#internal(`RELEASE ${name}`);
      this.#depth--;
      this.#afterTransaction();
      throw e;
    }
    this.#internal(`RELEASE ${name}`);
    this.#depth--;
    this.#afterTransaction();
    return result;
  }
  #afterTransaction() {
    if (this.#depth === 0) {
      this.#kvReady = this.#tableExists("_cf_KV");
      this.#hooks.alarmChanged(this.alarmState().at);
    }
  }
  /** An async storage call: runs now, resolves after the caller awaits, gate kept closed. */
  #op(fn) {
    try {
      return this.#hooks.storageOp(Promise.resolve(fn()));
    } catch (e) {
      return this.#hooks.storageOp(Promise.reject(e));
    }
  }

  // --- SQL --------------------------------------------------------------------------------

  _execUser(query, params) {
    if (Buffer.byteLength(query, "utf8") > MAX_STATEMENT_BYTES) throw err("statement too long: SQLITE_TOOBIG");
    if (params.length > MAX_BOUND_PARAMETERS) throw err("too many SQL variables: SQLITE_RANGE");
    const statements = splitStatements(query);
    if (!statements.length) throw err("SQL code did not contain a statement.");
    let columns = [];
    let rows = [];
    let read = 0;
    let written = 0;
    statements.forEach((statement, index) => {
      const last = index === statements.length - 1;
      this.#denied.reason = null;
      let stmt;
      try {
        stmt = this.#db.prepare(statement);
      } catch (e) {
        if (this.#denied.reason) throw err(this.#denied.reason);
        throw err(e.message);
      }
      stmt.setReadBigInts(true);
      const args = last ? params : [];
      const before = this.#changes();
      try {
        if (stmt.columns().length) {
          const got = last ? stmt.all(...args) : [stmt.get(...args)].filter(Boolean);
          if (last) {
            columns = stmt.columns().map((c) => c.name);
            rows = got.map((r) => Object.values(r).map(readValue));
          }
        } else {
          stmt.run(...args);
        }
      } catch (e) {
        if (/column index out of range|parameter/i.test(e.message)) {
          throw err(
            last
              ? "Wrong number of parameter bindings for SQL query."
              : "When executing multiple SQL statements in a single call, only the last statement can have parameters.",
          );
        }
        throw err(e.message);
      }
      const changes = this.#changes() - before;
      written += changes;
      if (last) read += rows.length;
      if (["UPDATE", "DELETE"].includes(firstKeyword(statement))) read += changes;
    });
    return new SqlStorageCursor(columns, rows, read, written);
  }
  #changes() {
    return Number(this.#internal("SELECT total_changes() AS n")[0].n);
  }
  _databaseSize() {
    const n = (p) => Number(Object.values(this.#internal(`PRAGMA ${p}`)[0])[0]);
    return (n("page_count") - n("freelist_count")) * n("page_size");
  }

  // --- key-value API ----------------------------------------------------------------------

  #ensureKv() {
    if (!this.#kvReady) {
      this.#internal("CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID");
      this.#kvReady = true;
    }
  }
  #keys(keys) {
    if (keys.length > MAX_KEYS_PER_CALL) throw err(`Maximum number of keys is ${MAX_KEYS_PER_CALL}. You provided ${keys.length}.`);
    return keys.map(String);
  }
  #getOne(key) {
    if (!this.#kvReady) return undefined;
    const row = this.#internal("SELECT value FROM _cf_KV WHERE key = ?", [String(key)])[0];
    return row ? v8.deserialize(row.value) : undefined;
  }
  #putOne(key, value) {
    if (value === undefined) throw new TypeError("put() called with undefined value.");
    this.#ensureKv();
    this.#internal("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", [String(key), v8.serialize(value)]);
  }
  #deleteOne(key) {
    if (!this.#kvReady) return false;
    const before = this.#changes();
    this.#internal("DELETE FROM _cf_KV WHERE key = ?", [String(key)]);
    return this.#changes() > before;
  }

  get(keys) {
    return this.#op(() => {
      if (Array.isArray(keys)) {
        const out = new Map();
        for (const k of this.#keys(keys)) {
          const v = this.#getOne(k);
          if (v !== undefined) out.set(k, v);
        }
        return out;
      }
      return this.#getOne(keys);
    });
  }
  put(keyOrEntries, value) {
    return this.#op(() => {
      if (typeof keyOrEntries === "object" && keyOrEntries !== null && value === undefined) {
        const entries = Object.entries(keyOrEntries);
        this.#keys(entries.map(([k]) => k));
        this.#atomic(() => entries.forEach(([k, v]) => this.#putOne(k, v)));
      } else {
        this.#putOne(keyOrEntries, value);
      }
    });
  }
  delete(keys) {
    return this.#op(() => {
      if (Array.isArray(keys)) {
        const ks = this.#keys(keys);
        return this.#atomic(() => ks.filter((k) => this.#deleteOne(k)).length);
      }
      return this.#deleteOne(keys);
    });
  }
  list(options = {}) {
    return this.#op(() => {
      const out = new Map();
      if (!this.#kvReady) return out;
      const { start, startAfter, end, prefix, reverse, limit } = options ?? {};
      let rows = this.#internal("SELECT key, value FROM _cf_KV ORDER BY key");
      rows = rows.filter(
        (r) =>
          (start === undefined || r.key >= start) &&
          (startAfter === undefined || r.key > startAfter) &&
          (end === undefined || r.key < end) &&
          (prefix === undefined || r.key.startsWith(prefix)),
      );
      if (reverse) rows.reverse();
      if (limit !== undefined) rows = rows.slice(0, limit);
      for (const r of rows) out.set(r.key, v8.deserialize(r.value));
      return out;
    });
  }
  deleteAll() {
    return this.#op(() => {
      const objects = this.#internal(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != '_cf_METADATA'",
      );
      this.#atomic(() => {
        for (const o of objects) if (o.type === "view") this.#internal(`DROP VIEW IF EXISTS "${o.name}"`);
        for (const o of objects) if (o.type === "table") this.#internal(`DROP TABLE IF EXISTS "${o.name}"`);
      });
      this.#kvReady = false;
    });
  }
  sync() {
    return this.#op(() => undefined);
  }

  // --- transactions -----------------------------------------------------------------------

  transactionSync(fn) {
    if (typeof fn !== "function") throw new TypeError("transactionSync() requires a function");
    return this.#atomic(() => {
      const result = fn();
      if (result && typeof result.then === "function") {
        throw new TypeError("transactionSync() callback must be synchronous; use transaction()");
      }
      return result;
    });
  }
  transaction(fn) {
    // The callback may await anything inside the savepoint: it runs as a critical section, so
    // no other code of the object (whose writes would land in the savepoint) runs meanwhile.
    // A Python callable is only borrowed for this call; the section may start later.
    const callback = typeof fn?.copy === "function" ? fn.copy() : fn;
    return this.#hooks.critical(async () => {
      try {
        return await this.#transaction((txn) => this.#hooks.call(callback, txn));
      } finally {
        callback?.destroy?.();
      }
    });
  }
  async #transaction(fn) {
    const name = `_cf_sp_${++this.#sp}`;
    this.#internal(`SAVEPOINT ${name}`);
    this.#depth++;
    let rolledBack = false;
    const txn = {
      get: (k) => this.get(k),
      put: (k, v) => this.put(k, v),
      delete: (k) => this.delete(k),
      list: (o) => this.list(o),
      getAlarm: () => this.getAlarm(),
      setAlarm: (t) => this.setAlarm(t),
      deleteAlarm: () => this.deleteAlarm(),
      rollback: () => {
        rolledBack = true;
      },
    };
    try {
      const result = await fn(txn);
      if (rolledBack) this.#internal(`ROLLBACK TO ${name}`);
      this.#internal(`RELEASE ${name}`);
      return result;
    } catch (e) {
      this.#internal(`ROLLBACK TO ${name}`);
      this.#internal(`RELEASE ${name}`);
      throw e;
    } finally {
      this.#depth--;
      this.#afterTransaction();
    }
  }

  // --- alarms -----------------------------------------------------------------------------

  #ensureMetadata() {
    this.#internal("CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)");
  }
  alarmState() {
    if (!this.#tableExists("_cf_METADATA")) return { at: null, retries: 0 };
    const get = (k) => this.#internal("SELECT value FROM _cf_METADATA WHERE key = ?", [k])[0]?.value;
    const at = get(ALARM_KEY);
    return { at: at == null ? null : Number(at), retries: Number(get(RETRY_KEY) ?? 0) };
  }
  setAlarmState(at, retries) {
    this.#ensureMetadata();
    if (at === null) this.#internal("DELETE FROM _cf_METADATA WHERE key IN (?, ?)", [ALARM_KEY, RETRY_KEY]);
    else {
      this.#internal("INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)", [ALARM_KEY, at]);
      this.#internal("INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)", [RETRY_KEY, retries]);
    }
    if (this.#depth === 0) this.#hooks.alarmChanged(at);
  }
  getAlarm() {
    return this.#op(() => this.alarmState().at);
  }
  setAlarm(time) {
    return this.#op(() => {
      if (!this.#hooks.hasAlarmHandler()) {
        throw err("Your Durable Object class must have an alarm() handler in order to call setAlarm()");
      }
      const ms = time instanceof Date ? time.getTime() : time;
      if (typeof ms !== "number" || !Number.isFinite(ms)) {
        throw new TypeError("setAlarm() requires a number of milliseconds since the epoch or a Date");
      }
      this.setAlarmState(Math.floor(ms), 0);
    });
  }
  deleteAlarm() {
    return this.#op(() => this.setAlarmState(null, 0));
  }
}
