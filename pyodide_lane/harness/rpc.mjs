/**
 * What a value becomes when it crosses workerd's RPC boundary (Durable Object calls).
 *
 * workerd serializes RPC arguments and results with V8's serializer plus its own delegate:
 * plain data (primitives including BigInt, plain objects, arrays, Date, RegExp, Map, Set,
 * ArrayBuffer and typed arrays, Error) is copied; functions and RPC stubs travel by reference
 * (calls on the other side are RPC again); Request, Response and ReadableStream are
 * transferred; any other class instance is refused with
 * `Could not serialize object of type "X". This type does not support serialization.`
 * `cloneForRpc` applies those rules, so nothing the caller holds is shared with the callee.
 */

const BY_REFERENCE = new Set(["Request", "Response", "ReadableStream", "WritableStream"]);
export const RPC_STUB = Symbol("grove-lane-rpc-stub");

function typeName(value) {
  return value?.constructor?.name || Object.prototype.toString.call(value).slice(8, -1);
}

function serializationError(value) {
  const name = typeof value === "function" ? "Function" : typeName(value);
  return new TypeError(`Could not serialize object of type "${name}". This type does not support serialization.`);
}

function cloneError(e) {
  const Ctor = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError }[e.name] ?? Error;
  const copy = new Ctor(e.message);
  return copy;
}

/** A function passed over RPC: the receiver calls it remotely (arguments and result cloned). */
function functionStub(fn) {
  const stub = async (...args) => cloneForRpc(await fn(...args.map((a) => cloneForRpc(a))));
  stub[RPC_STUB] = true;
  return stub;
}

export function cloneForRpc(value, seen = new Map()) {
  if (value === null || value === undefined) return value;
  const t = typeof value;
  if (t === "string" || t === "number" || t === "boolean" || t === "bigint") return value;
  if (t === "symbol") throw serializationError(value);
  if (seen.has(value)) return seen.get(value);
  if (value[RPC_STUB]) return value; // DO stubs and function stubs: by reference
  if (t === "function") {
    // A PyProxy of a Python callable arrives here as a function: it becomes a stub.
    const owned = typeof value.copy === "function" ? value.copy() : value;
    return functionStub(owned);
  }
  if (Array.isArray(value)) {
    const out = [];
    seen.set(value, out);
    for (const v of value) out.push(cloneForRpc(v, seen));
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (ArrayBuffer.isView(value)) {
    const Ctor = value.constructor;
    const bytes = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
    return Ctor === DataView ? new DataView(bytes) : new Ctor(bytes);
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(cloneForRpc(k, seen), cloneForRpc(v, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(cloneForRpc(v, seen));
    return out;
  }
  if (value instanceof Error) return cloneError(value);
  if (BY_REFERENCE.has(typeName(value))) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = cloneForRpc(v, seen);
    return out;
  }
  throw serializationError(value);
}

/** The error a caller sees when the callee threw: message kept, standard JS error types kept. */
export function remoteError(e) {
  const out = e instanceof Error ? cloneError(e) : new Error(String(e));
  out.remote = true;
  return out;
}
