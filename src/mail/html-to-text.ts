import { compile } from "html-to-text";

// html-to-text's converter, compiled once on first use: `convert()` recompiles its options
// on every call, and compiling at import would slow every cold start.
let toText: ((html: string) => string) | undefined;

/** The text/plain alternative of an HTML body (links kept as "text [url]"). */
export function htmlToText(html: string): string {
  toText ??= compile({ wordwrap: 78 });
  return toText(html);
}
