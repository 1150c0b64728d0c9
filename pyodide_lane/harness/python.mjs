/**
 * One Pyodide interpreter, set up the way workerd sets up a Python Worker's isolate.
 *
 * - npm `pyodide` 314.0.0 from the lane cache, with JSPI (Node 24 has it on by default);
 * - the pinned wheels unpacked into site-packages (pydantic + its wasm pydantic-core, the real
 *   `workers-runtime-sdk`, pytest for the test runner), then `.pth` files processed, as workerd
 *   does from the `python_process_pth_files` date (2026-05-26) on;
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
    original(
      (async () => {
        try {
          await p;
        } finally {
          if (p && typeof p.destroy === "function") p.destroy();
        }
      })(),
    );
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
export async function loadPython({ pyodideDir, wheels, helper, flags, label, quiet = false }) {
  const { loadPyodide } = await import(path.join(pyodideDir, "pyodide.mjs"));
  const prefix = label ? `[${label}] ` : "";
  const py = await loadPyodide({
    indexURL: pyodideDir + path.sep,
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
  if (!flags || flags.python_process_pth_files) {
    py.runPython(`import site; site.addsitedir(${JSON.stringify(sitePackages)})`);
  }
  return py;
}

/** Mount a host directory read-write into the interpreter's filesystem. */
export function mount(py, hostDir, at) {
  py.FS.mkdirTree(at);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: hostDir }, at);
}
