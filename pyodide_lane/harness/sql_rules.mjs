/**
 * The SQL rules workerd applies to user SQL in a Durable Object's storage, for `node:sqlite`.
 *
 * workerd (`src/workerd/util/sqlite.c++`, `SqliteDatabase::isAuthorized` for an untrusted
 * regulator) allowlists functions and pragmas, reserves `_cf_*` names, refuses ATTACH, temp
 * objects and transaction statements (DO code uses `transactionSync`). The lists below are the
 * ones the local runtime uses (`local_runtime/bindings/d1.py`, same workerd source), so both
 * lanes refuse the same statements. `splitStatements` cuts SQL text where SQLite's prepare
 * loop would (quotes, comments, trigger bodies).
 */
import { constants as C } from "node:sqlite";

export const MAX_STATEMENT_BYTES = 100_000;
export const MAX_BOUND_PARAMETERS = 100;
export const TRANSACTION_REFUSED =
  "To execute a transaction, please use the state.storage.transaction() or " +
  "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT " +
  "statements. The JavaScript API is safer because it will automatically roll back on " +
  "exceptions, and because it interacts correctly with Durable Objects' automatic atomic " +
  "write coalescing.";

const ALLOWED_FUNCTIONS = new Set(
  `abs changes char coalesce concat concat_ws format glob hex ifnull iif instr last_insert_rowid
  length like likelihood likely load_extension lower ltrim max_scalar min_scalar nullif
  octet_length printf quote random randomblob replace round rtrim sign soundex substr substring
  total_changes trim typeof unhex unicode unlikely upper zeroblob
  date time datetime julianday unixepoch strftime timediff current_date current_time
  current_timestamp avg count group_concat max min string_agg sum total
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  acos acosh asin asinh atan atan2 atanh ceil cos cosh degrees exp floor ln log log2 mod pi pow
  radians sin sinh sqrt tan tanh trunc
  json json_array json_array_length json_extract -> ->> json_insert json_object json_patch
  json_remove json_replace json_set json_type json_valid json_quote json_group_array
  json_group_object json_each json_tree match highlight bm25 snippet
  sqlite_rename_column sqlite_rename_table sqlite_rename_test sqlite_drop_column
  sqlite_rename_quotefix`.split(/\s+/).filter(Boolean),
);

const [NO_ARG, BOOLEAN, OBJECT, OPTIONAL_OBJECT, NULL_OR_INT, NULL_INT_OR_OBJECT] = [0, 1, 2, 3, 4, 5];
const ALLOWED_PRAGMAS = {
  data_version: NO_ARG,
  case_sensitive_like: BOOLEAN,
  foreign_keys: BOOLEAN,
  defer_foreign_keys: BOOLEAN,
  ignore_check_constraints: BOOLEAN,
  legacy_alter_table: BOOLEAN,
  recursive_triggers: BOOLEAN,
  reverse_unordered_selects: BOOLEAN,
  foreign_key_check: OPTIONAL_OBJECT,
  foreign_key_list: OBJECT,
  index_info: OBJECT,
  index_list: OBJECT,
  index_xinfo: OBJECT,
  quick_check: NULL_INT_OR_OBJECT,
  optimize: NULL_OR_INT,
};

const allowedName = (name) => name != null && !name.toLowerCase().startsWith("_cf_");

function parsesAsInt(text, unsigned) {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) return false;
  const v = Number.parseInt(text, 10);
  return unsigned ? v >= 0 : v >= -(2 ** 31) && v < 2 ** 31;
}

function pragmaAllowed(pragma, arg) {
  const name = pragma.toLowerCase();
  if (name === "table_list") return true;
  if (name === "table_info" || name === "table_xinfo") return arg != null && allowedName(arg);
  const sig = ALLOWED_PRAGMAS[name];
  if (sig === undefined) return false;
  switch (sig) {
    case NO_ARG:
      return arg == null;
    case BOOLEAN: {
      if (arg == null) return true;
      let v = arg;
      if (v.length >= 2 && `'"`.includes(v[0]) && v.at(-1) === v[0]) v = v.slice(1, -1);
      return ["true", "false", "yes", "no", "on", "off", "1", "0"].some((p) => v.toLowerCase().startsWith(p));
    }
    case OBJECT:
      return arg != null && allowedName(arg);
    case OPTIONAL_OBJECT:
      return arg == null || allowedName(arg);
    case NULL_OR_INT:
      return arg == null || parsesAsInt(arg, false);
    default:
      return arg == null || parsesAsInt(arg, true) || allowedName(arg);
  }
}

/** node:sqlite authorizer callback result for user SQL; `denied.reason` says why (transactions). */
export function authorize(action, arg1, arg2, dbName, denied) {
  if (action === C.SQLITE_TRANSACTION || action === C.SQLITE_SAVEPOINT) {
    denied.reason = TRANSACTION_REFUSED;
    return C.SQLITE_DENY;
  }
  if (action === C.SQLITE_ALTER_TABLE || action === C.SQLITE_DETACH) [dbName, arg1, arg2] = [arg1, arg2, dbName];
  const ok = (() => {
    if (dbName === "temp") return (action === C.SQLITE_READ || action === C.SQLITE_UPDATE) && allowedName(arg1);
    if (dbName != null && dbName !== "main") return false;
    switch (action) {
      case C.SQLITE_SELECT:
      case C.SQLITE_RECURSIVE:
      case C.SQLITE_ANALYZE:
        return true;
      case C.SQLITE_CREATE_TABLE:
      case C.SQLITE_DELETE:
      case C.SQLITE_DROP_TABLE:
      case C.SQLITE_INSERT:
      case C.SQLITE_CREATE_VIEW:
      case C.SQLITE_DROP_VIEW:
      case C.SQLITE_REINDEX:
      case C.SQLITE_ALTER_TABLE:
      case C.SQLITE_READ:
      case C.SQLITE_UPDATE:
        return allowedName(arg1);
      case C.SQLITE_CREATE_INDEX:
      case C.SQLITE_DROP_INDEX:
      case C.SQLITE_CREATE_TRIGGER:
      case C.SQLITE_DROP_TRIGGER:
        return allowedName(arg1) && allowedName(arg2);
      case C.SQLITE_PRAGMA:
        return arg1 != null && pragmaAllowed(arg1, arg2);
      case C.SQLITE_FUNCTION:
        return arg2 != null && ALLOWED_FUNCTIONS.has(arg2.toLowerCase());
      case C.SQLITE_CREATE_VTABLE:
      case C.SQLITE_DROP_VTABLE:
        return arg2 != null && ["fts5", "fts5vocab"].includes(arg2.toLowerCase());
      default:
        return false;
    }
  })();
  return ok ? C.SQLITE_OK : C.SQLITE_DENY;
}

/** Split SQL text into statements (quote-, comment- and trigger-body-aware). */
export function splitStatements(sql) {
  const out = [];
  let start = 0;
  let i = 0;
  let hasTokens = false;
  let words = []; // the statement's first words, to spot CREATE [TEMP] TRIGGER
  let inTrigger = false;
  let depth = 0; // BEGIN ... END nesting inside a trigger body
  let word = "";
  const endWord = () => {
    if (!word) return;
    const w = word.toUpperCase();
    if (words.length < 4) {
      words.push(w);
      if (words[0] === "CREATE" && (w === "TRIGGER")) inTrigger = true;
    }
    if (inTrigger) {
      if (w === "BEGIN" || w === "CASE") depth++;
      else if (w === "END") depth--;
    }
    word = "";
  };
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "-" && sql[i + 1] === "-") {
      endWord();
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? sql.length : nl + 1;
      continue;
    }
    if (ch === "/" && sql[i + 1] === "*") {
      endWord();
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`" || ch === "[") {
      endWord();
      hasTokens = true;
      const close = ch === "[" ? "]" : ch;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== "]" && sql[j + 1] === close) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      i = j + 1;
      continue;
    }
    if (ch === ";") {
      endWord();
      if (!inTrigger || depth <= 0) {
        if (hasTokens) out.push(sql.slice(start, i + 1));
        start = i + 1;
        hasTokens = false;
        words = [];
        inTrigger = false;
        depth = 0;
      }
      i++;
      continue;
    }
    if (/\s/.test(ch)) endWord();
    else {
      hasTokens = true;
      if (/[A-Za-z_]/.test(ch)) word += ch;
      else endWord();
    }
    i++;
  }
  endWord();
  if (hasTokens) out.push(sql.slice(start));
  return out;
}

export function firstKeyword(statement) {
  const m = statement.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, "").match(/^[A-Za-z]+/);
  return m ? m[0].toUpperCase() : "";
}
