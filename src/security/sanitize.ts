import sanitizeHtml from "sanitize-html";

/**
 * The feed's HTML as it may go into an email: sanitize-html's default set of formatting
 * tags, with no scripts or styles (their content is dropped), no event handler or other
 * unlisted attributes, and links only to http(s) and mailto.
 */
const ABSOLUTE = /^\s*(https?|mailto):/i;

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
  // sanitize-html keeps relative links (no scheme to check); in an email there is no page they
  // are relative to, so only links with an allowed scheme keep their href
  transformTags: {
    a: (tagName, attribs) => {
      const { href, ...rest } = attribs;
      return { tagName, attribs: href !== undefined && ABSOLUTE.test(href) ? attribs : rest };
    },
  },
};

export function sanitizeBulletinHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
