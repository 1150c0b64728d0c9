/**
 * Real D1, KV, R2, Cache API and queue producers from miniflare (workerd's own implementations), for every
 * resource the Workers' wrangler configs name, shared the way Cloudflare shares them: a D1
 * database, KV namespace or R2 bucket named by two Workers is one resource.
 *
 * State lives under a directory in wrangler's `--persist-to` layout (`<dir>/v3/d1`, ...), so
 * `wrangler d1 migrations apply --local --persist-to <dir>` prepares the D1 schema exactly as
 * a developer would, and `reset()` starts a test from a copy of that migrated state.
 *
 * Each binding handed to a Worker is a late-bound Proxy reporting production's constructor name
 * (`D1Database`, `KvNamespace`, `R2Bucket`) so the SDK wraps it as in production; after a
 * reset it forwards to the new miniflare objects.
 */
import fs from "node:fs";
import path from "node:path";
import { Miniflare, Request as MfRequest, Response as MfResponse } from "miniflare";
import { TARGET, productionNamed } from "./names.mjs";

const KINDS = {
  d1: { option: "d1Databases", getter: "getD1Database", name: "D1Database" },
  kv: { option: "kvNamespaces", getter: "getKVNamespace", name: "KvNamespace" },
  r2: { option: "r2Buckets", getter: "getR2Bucket", name: "R2Bucket" },
  // Queue producers (no consumer: see config.mjs); workerd's class is WorkerQueue.
  queue: { option: "queueProducers", getter: "getQueueProducer", name: "WorkerQueue" },
};

/** A Proxy whose target can be swapped: `forwarder(resolve)` always acts on `resolve()`. */
function forwarder(resolve) {
  const handler = {};
  for (const trap of ["has", "ownKeys", "getOwnPropertyDescriptor", "getPrototypeOf", "set"]) {
    handler[trap] = (_t, ...args) => Reflect[trap](resolve(), ...args);
  }
  handler.get = (_t, prop) => (prop === TARGET ? resolve() : Reflect.get(resolve(), prop));
  return new Proxy({}, handler);
}

function toMiniflare(value) {
  if (value instanceof Response) return new MfResponse(value.body, value);
  if (value instanceof Request) return new MfRequest(value.url, value);
  return value;
}

function toGlobal(value) {
  if (value instanceof MfResponse) return new Response(value.body, value);
  return value;
}

export class Resources {
  /** resources: {d1: [id...], kv: [id...], r2: [bucket...]} */
  constructor(resources) {
    this.resources = resources;
    this.current = { d1: {}, kv: {}, r2: {}, queue: {}, caches: null };
    this.bindingNames = {}; // `${kind}:${id}` -> miniflare binding name
  }

  #options(persistRoot) {
    const opts = {
      modules: true,
      script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
      compatibilityDate: "2026-04-26",
      d1Persist: path.join(persistRoot, "v3", "d1"),
      kvPersist: path.join(persistRoot, "v3", "kv"),
      r2Persist: path.join(persistRoot, "v3", "r2"),
      cachePersist: path.join(persistRoot, "v3", "cache"),
    };
    for (const [kind, { option }] of Object.entries(KINDS)) {
      opts[option] = {};
      this.resources[kind].forEach((id, i) => {
        const binding = `${kind.toUpperCase()}_${i}`;
        this.bindingNames[`${kind}:${id}`] = binding;
        opts[option][binding] = id;
      });
    }
    return opts;
  }

  async #refresh() {
    for (const [kind, { getter }] of Object.entries(KINDS)) {
      for (const id of this.resources[kind]) {
        this.current[kind][id] = await this.mf[getter](this.bindingNames[`${kind}:${id}`]);
      }
    }
    this.current.caches = await this.mf.getCaches();
  }

  async start(persistRoot) {
    this.mf = new Miniflare(this.#options(persistRoot));
    await this.mf.ready;
    await this.#refresh();
  }

  /** Point everything at a fresh copy of `templateRoot` (the migrated state). */
  async reset(templateRoot, persistRoot) {
    fs.rmSync(persistRoot, { recursive: true, force: true });
    fs.cpSync(templateRoot, persistRoot, { recursive: true });
    await this.mf.setOptions(this.#options(persistRoot));
    await this.#refresh();
  }

  /** The production-named binding for resource `id` of `kind`. */
  binding(kind, id) {
    return productionNamed(forwarder(() => this.current[kind][id]), KINDS[kind].name);
  }

  /**
   * `caches` (Cache API), forwarding to miniflare's current CacheStorage. Miniflare only
   * serializes its own (bundled undici) Request/Response classes, so the platform's globals
   * are converted on the way in and back on the way out.
   */
  caches() {
    const current = () => this.current.caches;
    const wrapCache = (cache) =>
      productionNamed(
        {
          match: async (request, options) => toGlobal(await cache.match(toMiniflare(request), options)),
          put: (request, response) => cache.put(toMiniflare(request), toMiniflare(response)),
          delete: (request, options) => cache.delete(toMiniflare(request), options),
        },
        "Cache",
      );
    const storage = {
      get default() {
        return wrapCache(current().default);
      },
      open: async (name) => wrapCache(await current().open(name)),
    };
    return productionNamed(storage, "CacheStorage");
  }

  async dispose() {
    await this.mf?.dispose();
  }
}
