import { compile } from "html-to-text";
import { describeError } from "../errors.ts";
import { ContentRenderError } from "../smtp/errors.ts";

// html-to-text's converter, compiled once on first use: `convert()` recompiles its options
// on every call, and compiling at import would slow every cold start.
let toText: ((html: string) => string) | undefined;

/**
 * The text/plain alternative of an HTML body (links kept as "text [url]"). Throws a
 * ContentRenderError naming `html` when it cannot be converted (html-to-text recurses per
 * nesting level: a few thousand nested tags overflow the stack).
 */
export function htmlToText(html: string): string {
  toText ??= compile({ wordwrap: 78 });
  try {
    return toText(html);
  } catch (error) {
    throw new ContentRenderError(
      "html",
      `cannot be converted to the text/plain part (${describeError(error)})`,
      {
        hint: "Send a text part with the event, or flatten the HTML (nesting thousands of elements deep).",
        cause: error,
      },
    );
  }
}
