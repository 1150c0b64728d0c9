/**
 * Make miniflare's binding objects look like production's to the Python SDK.
 *
 * The SDK decides how to wrap a binding from its JS constructor name (`_EnvWrapper`:
 * `D1Database`, `KvNamespace`, `R2Bucket`, ...). Miniflare hands out proxies of workerd's real
 * binding objects whose constructor names are not those, so the SDK would leave them unwrapped
 * and the app would see raw JsProxy results that production never shows it. A JS Proxy that
 * reports the production name (and forwards everything else) fixes that.
 *
 * `gated(...)` adds the Durable Object input-gate rule on top: a call made from inside an
 * object that returns a promise is external I/O; its caller resumes only once no critical
 * section other than its own holds the object's gate (`durable_objects.mjs`).
 */

const UNWRAP = new WeakMap(); // our proxy -> the object it wraps
/** A late-bound object (bindings.mjs forwarder) answers this symbol with its current target. */
export const TARGET = Symbol("grove-lane-target");

function namedConstructor(name) {
  const ctor = function () {};
  Object.defineProperty(ctor, "name", { value: name });
  return ctor;
}

export function unwrap(value) {
  const inner = (value && UNWRAP.get(value)) || value;
  return (inner && (typeof inner === "object" || typeof inner === "function") && inner[TARGET]) || inner;
}

function isThenable(value) {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
}

/** Wrap `target` so that `target.constructor.name === name`; `onPromise` sees every promise result. */
export function productionNamed(target, name, onPromise = null) {
  const ctor = name ? namedConstructor(name) : null;
  const wrapResult = (value) => {
    if (isThenable(value)) return onPromise ? onPromise(value) : value;
    return value;
  };
  const proxy = new Proxy(target, {
    get(t, prop) {
      if (prop === "constructor" && ctor) return ctor;
      const self = unwrap(t);
      const value = Reflect.get(self, prop);
      if (typeof value !== "function" || prop === "constructor") return value;
      return function (...args) {
        const result = Reflect.apply(value, self, args.map(unwrap));
        if (onPromise && result && typeof result === "object" && !isThenable(result) && !UNWRAP.has(result)) {
          // e.g. db.prepare(sql) -> a statement whose .all() is I/O too
          return productionNamed(result, null, onPromise);
        }
        return wrapResult(result);
      };
    },
  });
  UNWRAP.set(proxy, target);
  return proxy;
}

/** The binding as a Durable Object sees it: promise results are I/O whose completion `gate` holds. */
export function gated(binding, name, gate) {
  const inner = UNWRAP.get(binding) ?? binding; // keep late binding (a forwarder stays one)
  return productionNamed(inner, name, (promise) => gate.io(promise));
}
