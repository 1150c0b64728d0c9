/**
 * One Pyodide interpreter, set up the way workerd sets up a Python Worker's isolate.
 *
 * - npm `pyodide` 314.0.0 from the lane cache, with JSPI (Node 24 has it on by default);
 * - a Worker's isolate (`loadWorkerPython`) gets nothing in site-packages but the lane's helpers
 *   and, as workerd writes there for `enable_python_external_sdk` (2026-04-21 on), a `workers` /
 *   `asgi` that only raise ModuleNotFoundError: everything the app imports comes from what
 *   wrangler uploaded, mounted at `/session/metadata` with `python_modules/` on `sys.path`
 *   (`py/_lane_session.py` says where and why, citing workerd);
 * - the client interpreter (pytest) gets the pinned wheels unpacked into its own site-packages
 *   (pytest, and the SDK to wrap `edge.env`), `.pth` files processed;
 * - the two JS modules the SDK imports and workerd provides: `_pyodide_entrypoint_helper`
 *   (doAnImport, cloudflare:workers, patchWaitUntil, patch_env_helper) and
 *   `_cloudflare_compat_flags` (the Python-relevant compatibility flags of the Worker);
 * - the lane's own Python helpers from `harness/py/`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PY_HELPERS = path.join(HERE, "py");

// Compatibility flags the SDK reads, with the date from which workerd turns each on
// (workerd src/workerd/io/compatibility-date.capnp).
const PYTHON_FLAG_DATES = {
  python_workers_force_new_vendor_path: "2025-08-11",
  enable_python_external_sdk: "2026-04-21",
  python_request_headers_preserve_commas: "2026-02-17",
  python_workflows_implicit_dependencies: "2026-02-25",
  python_process_pth_files: "2026-05-26",
};

export function compatFlags(compatibilityDate, explicitFlags = []) {
  const flags = {};
  for (const [flag, date] of Object.entries(PYTHON_FLAG_DATES)) {
    flags[flag] = compatibilityDate >= date || explicitFlags.includes(flag);
  }
  for (const flag of explicitFlags) flags[flag] = true;
  return flags;
}

const WAIT_UNTIL_PATCHED = new WeakSet();

/** workerd's patchWaitUntil: keep a Python awaitable alive until waitUntil has run it. */
function patchWaitUntil(ctx) {
  if (Object.prototype.toString.call(ctx) !== "[object ExecutionContext]") return;
  if (WAIT_UNTIL_PATCHED.has(ctx)) return;
  const original = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (p) => {
    if (p && typeof p.copy === "function") p = p.copy();
    const work = (async () => {
      try {
        await p;
      } finally {
        if (p && typeof p.destroy === "function") p.destroy();
      }
    })();
    // The lane's addition: an asyncio Task/Future handed over can be cancelled when the
    // invocation's waitUntil time runs out (worker.mjs ExecutionContext); a bare coroutine cannot.
    if (p && typeof p.cancel === "function") work.cancel = () => p.cancel();
    original(work);
  };
  WAIT_UNTIL_PATCHED.add(ctx);
}

/** The `_pyodide_entrypoint_helper` module of one Worker. */
export function entrypointHelper({ env, waitUntil }) {
  const cloudflareWorkersModule = { env, waitUntil };
  return {
    cloudflareWorkersModule,
    cloudflareSocketsModule: {
      connect() {
        throw new Error("cloudflare:sockets is not available in the Pyodide lane");
      },
    },
    async doAnImport(name) {
      if (name === "cloudflare:workers") return cloudflareWorkersModule;
      throw new Error(`the Pyodide lane cannot import the JS module ${name}`);
    },
    patchWaitUntil,
    // `with workers.patch_env(...)`: a generator the SDK drives with `yield from`.
    *patch_env_helper(patch) {
      const entries = patch instanceof Map ? [...patch.entries()] : Object.entries(patch ?? {});
      const saved = entries.map(([k]) => [k, Object.getOwnPropertyDescriptor(env, k)]);
      for (const [k, v] of entries) env[k] = v;
      try {
        yield;
      } finally {
        for (const [k, d] of saved) {
          if (d) Object.defineProperty(env, k, d);
          else delete env[k];
        }
      }
    },
  };
}

/**
 * Load an interpreter. `wheels` are file paths; `helper` and `flags` become the two JS modules
 * the SDK imports (omit them for an interpreter that never imports the SDK's entrypoints).
 */
export async function loadPython({ pyodideDir, wheels, helper, flags, label, quiet = false, home = undefined }) {
  const { loadPyodide } = await import(path.join(pyodideDir, "pyodide.mjs"));
  const prefix = label ? `[${label}] ` : "";
  const py = await loadPyodide({
    indexURL: pyodideDir + path.sep,
    env: home ? { HOME: home } : {},
    stdout: (line) => quiet || process.stdout.write(prefix + line + "\n"),
    stderr: (line) => process.stderr.write(prefix + line + "\n"),
  });
  const sitePackages = py.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of wheels) {
    py.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: sitePackages });
  }
  for (const file of fs.readdirSync(PY_HELPERS)) {
    if (file.endsWith(".py")) {
      py.FS.writeFile(path.posix.join(sitePackages, file), fs.readFileSync(path.join(PY_HELPERS, file)));
    }
  }
  if (helper) py.registerJsModule("_pyodide_entrypoint_helper", helper);
  if (flags) py.registerJsModule("_cloudflare_compat_flags", flags);
  if (wheels.length && (!flags || flags.python_process_pth_files)) {
    py.runPython(`import site; site.addsitedir(${JSON.stringify(sitePackages)})`);
  }
  return py;
}

// workerd: HOME (and so the working directory) is /session, the uploaded modules are mounted at
// /session/metadata (pool/emscriptenSetup.ts, setupPackages.ts mountWorkerFiles).
const SESSION_HOME = "/session";
const MODULE_ROOT = "/session/metadata";
const BYTECODE_ROOT = "/lane-bytecode";

/**
 * A Worker's isolate: no wheels, only the modules wrangler's dry run wrote (`modulesDir`, a
 * promise: the interpreter loads while the dry run runs), mounted where workerd mounts them,
 * with `sys.path` arranged as workerd arranges it (`py/_lane_session.py`).
 *
 * workerd's metadata FS is read-only (mode 0o555, metadatafs.ts), so nothing is written next to
 * the modules; compiled bytecode goes to `bytecodeDir` instead (`sys.pycache_prefix`), shared by
 * the isolates of one Worker: workerd avoids recompiling with its memory snapshot, the lane with
 * this cache (bytecode carries no state, so isolates still share nothing a module holds).
 */
export async function loadWorkerPython({ pyodideDir, modulesDir, bytecodeDir, helper, flags, label }) {
  const py = await loadPython({ pyodideDir, wheels: [], helper, flags, label, home: SESSION_HOME });
  mount(py, await modulesDir, MODULE_ROOT);
  fs.mkdirSync(bytecodeDir, { recursive: true });
  mount(py, bytecodeDir, BYTECODE_ROOT);
  py.runPython(`import sys; sys.pycache_prefix = ${JSON.stringify(BYTECODE_ROOT)}; sys.dont_write_bytecode = False`);
  const session = py.pyimport("_lane_session");
  session.set_up.callKwargs({
    legacy_vendor_path: !flags.python_workers_force_new_vendor_path,
    process_pth_files: !!flags.python_process_pth_files,
    external_sdk: !!flags.enable_python_external_sdk,
  });
  session.destroy();
  return py;
}

/** Mount a host directory read-write into the interpreter's filesystem. */
export function mount(py, hostDir, at) {
  py.FS.mkdirTree(at);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: hostDir }, at);
}
