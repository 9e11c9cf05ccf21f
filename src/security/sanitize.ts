import sanitizeHtml from "sanitize-html";

/**
 * The feed's HTML as it may go into an email: sanitize-html's default set of formatting
 * tags, with no scripts or styles (their content is dropped), no event handler or other
 * unlisted attributes, and links only to http(s) and mailto.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: sanitizeHtml.defaults.allowedTags,
  allowedAttributes: {
    a: ["href", "title"],
    td: ["colspan", "rowspan"],
    th: ["colspan", "rowspan", "scope"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
};

export function sanitizeBulletinHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
