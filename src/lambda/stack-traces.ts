// Stack traces that name Herald's source modules and functions, mapped through the bundle's
// source maps only when a stack is first formatted. Node's --enable-source-maps reads and
// parses every map at load, a cost paid by every cold start (BENCHMARKS.md measures both); here
// a function that never formats a stack reads no map, and one that does reads each map once.
// The bundling step (lib/private/bundling.ts) injects this module into every handler bundle.
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapping } from "node:module";
import { fileURLToPath } from "node:url";

/** A map entry; Node's types leave out the name esbuild writes for a renamed identifier. */
type Entry = Partial<SourceMapping> & { name?: string };

/** The map entry at a generated position (1-based line and column, as V8 reports them). */
function entryAt(file: MappedFile, line: number | null, column: number | null): Entry {
  if (line === null || column === null) return {};
  return file.map.findEntry(line - 1, column - 1) as Entry;
}

interface MappedFile {
  map: SourceMap;
  /** the generated lines, to find a minified function name near its function's start */
  lines: string[];
}

/** Per bundle file: its parsed map and text, or null when it has no map (or it cannot be read). */
const files = new Map<string, MappedFile | null>();

function mappedFile(fileName: string | null | undefined): MappedFile | null {
  if (!fileName || !(fileName.startsWith("file:") || fileName.startsWith("/"))) return null;
  let file = files.get(fileName);
  if (file === undefined) {
    try {
      const path = fileName.startsWith("file:") ? fileURLToPath(fileName) : fileName;
      const map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")));
      file = { map, lines: readFileSync(path, "utf8").split("\n") };
    } catch {
      file = null;
    }
    files.set(fileName, file);
  }
  return file;
}

/** How far from a function's start its name may be (`async function Fe(`, `Fe=async(`). */
const NAME_WINDOW = 64;

/**
 * The source name of the function enclosing a call site: the map names the minified
 * identifier where it is declared, next to where V8 says the function starts.
 */
function functionName(file: MappedFile, site: NodeJS.CallSite): string | undefined {
  const minified = site.getFunctionName();
  const line = site.getEnclosingLineNumber();
  const column = site.getEnclosingColumnNumber();
  if (!minified || line === null || column === null) return undefined;
  const text = file.lines[line - 1] ?? "";
  const from = Math.max(column - 1 - NAME_WINDOW, 0);
  const window = text.slice(from, column - 1 + NAME_WINDOW);
  const identifier = new RegExp(`(?<![\\w$])${minified.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
  let best: number | undefined;
  for (const match of window.matchAll(identifier)) {
    const at = from + match.index;
    if (best === undefined || Math.abs(at - (column - 1)) < Math.abs(best - (column - 1))) best = at;
  }
  if (best === undefined) return undefined;
  return entryAt(file, line, best + 1).name || undefined;
}

/** A map's source path as the project names it: "src/mail/compose.ts", not "../../src/...". */
function sourceName(source: string): string {
  return source.replace(/^(?:\.\.\/)+/, "");
}

function mappedFrame(site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string | undefined {
  const file = mappedFile(site.getFileName());
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file || line === null || column === null) return undefined;
  const entry = entryAt(file, line, column);
  if (entry.originalSource === undefined) return undefined;
  const location = `${sourceName(entry.originalSource)}:${(entry.originalLine ?? 0) + 1}:${(entry.originalColumn ?? 0) + 1}`;
  // The declared name, else (an anonymous function) the name at the caller's call, else the
  // minified one.
  let name = functionName(file, site);
  if (!name && caller && caller.getFileName() === site.getFileName()) {
    name = entryAt(file, caller.getLineNumber(), caller.getColumnNumber()).name || undefined;
  }
  name ||= site.getFunctionName() ?? undefined;
  const prefix = site.isAsync() ? "async " : site.isConstructor() ? "new " : "";
  return name ? `${prefix}${name} (${location})` : `${prefix}${location}`;
}

/** The stack as V8 writes it, with each bundle frame mapped to its source. */
export function prepareStackTrace(error: unknown, sites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = "Error";
  }
  const frames = sites.map((site, index) => {
    let frame: string | undefined;
    try {
      frame = mappedFrame(site, sites[index + 1]);
    } catch {
      frame = undefined;
    }
    return `\n    at ${frame ?? String(site)}`;
  });
  return header + frames.join("");
}

// Installed on import: a process that already maps stacks (--enable-source-maps) keeps Node's.
if (!process.sourceMapsEnabled) Error.prepareStackTrace = prepareStackTrace;
