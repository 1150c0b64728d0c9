/**
 * Import times under the production interpreter (Pyodide 314 on the lane's Node 24), for
 * `bench/pyodide_import.py`. Each tree is a `wrangler deploy --dry-run --outdir` folder (modules
 * plus `python_modules/`), mounted at workerd's `/session/metadata` with `python_modules/` on
 * `sys.path` behind it. Every measurement starts a fresh interpreter, so no import is warm.
 *
 * Per tree and repetition (trees alternate, so drift hits both alike):
 * - `deps_ms`: the SDK and pydantic alone: `import workers` and `from pydantic import BaseModel`
 *   (a bare `import pydantic` is lazy, PEP 562, and loads almost nothing: the first `BaseModel`
 *   import pays for pydantic's machinery, ~0.5 s here, whoever does it);
 * - `main_ms`: `import <main module>` in a fresh interpreter;
 * - `app_ms`: in the interpreter of `deps_ms`, `import <main module>` after the deps: the app's own share.
 *
 * Usage: node pyodide_import.mjs '<json: {pyodideDir, reps, profile, trees: [{label, dir, main, compatibilityDate, flags}]}>'
 * Prints one JSON object: {label: {deps_ms: [...], main_ms: [...], app_ms: [...]}}; with
 * `profile`, first the `-X importtime` lines of the app's share for the first tree (stderr).
 */
import path from "node:path";
import { compatFlags, entrypointHelper } from "../pyodide_lane/harness/python.mjs";

const MODULE_ROOT = "/session/metadata";
const DEPS = "import workers\nfrom pydantic import BaseModel";
const spec = JSON.parse(process.argv[2]);
const { loadPyodide } = await import(path.join(spec.pyodideDir, "pyodide.mjs"));

async function interpreter(tree, { env = {}, stderr = (l) => process.stderr.write(l + "\n") } = {}) {
  const py = await loadPyodide({ indexURL: spec.pyodideDir + path.sep, env: { HOME: "/home/pyodide", ...env }, stdout: () => {}, stderr });
  py.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper({ env: {}, waitUntil: () => {} }));
  py.registerJsModule("_cloudflare_compat_flags", compatFlags(tree.compatibilityDate, tree.flags));
  py.FS.mkdirTree(MODULE_ROOT);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: tree.dir }, MODULE_ROOT);
  py.runPython(`
import site, sys
sys.dont_write_bytecode = True
sys.path[0:0] = ["${MODULE_ROOT}"]
site.addsitedir("${MODULE_ROOT}/python_modules")  # appends it and runs its .pth files
`);
  return py;
}

async function timed(py, statement) {
  return py.runPythonAsync(`
import time as _t
_t0 = _t.perf_counter()
${statement}
(_t.perf_counter() - _t0) * 1000
`);
}

if (spec.profile) {
  // CPython's import profiler (PYTHONPROFILEIMPORTTIME), limited to the app's share.
  const lines = [];
  const py = await interpreter(spec.trees[0], { env: { PYTHONPROFILEIMPORTTIME: "1" }, stderr: (l) => lines.push(l) });
  await timed(py, DEPS);
  lines.length = 0;
  await timed(py, `import ${spec.trees[0].main}`);
  process.stderr.write(lines.join("\n") + "\n");
}

const results = {};
for (let rep = 0; rep < spec.reps; rep++) {
  for (const tree of spec.trees) {
    const r = (results[tree.label] ??= { deps_ms: [], main_ms: [], app_ms: [] });
    const cold = await interpreter(tree);
    r.main_ms.push(await timed(cold, `import ${tree.main}`));
    const split = await interpreter(tree);
    r.deps_ms.push(await timed(split, DEPS));
    r.app_ms.push(await timed(split, `import ${tree.main}`));
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
