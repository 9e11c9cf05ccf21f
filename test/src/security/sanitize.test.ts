import { describe, expect, it } from "vitest";
import { sanitizeBulletinHtml } from "../../../src/security/sanitize.ts";

describe("sanitizeBulletinHtml", () => {
  it("drops scripts with their content, event handlers and styles", () => {
    const html = sanitizeBulletinHtml(
      '<h1 onmouseover="x()">Fix</h1><script>alert("x")</script><p onclick="steal()" style="color:red">Upgrade now</p>' +
        "<style>p{}</style><iframe src='https://evil.example'></iframe>",
    );
    expect(html).toBe("<h1>Fix</h1><p>Upgrade now</p>");
  });

  it.each([
    ['<a href="javascript:alert(1)">x</a>', "<a>x</a>"],
    ['<a href="JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"],
    ['<a href="data:text/html,hi">x</a>', "<a>x</a>"],
    ['<a href="//evil.example/x">x</a>', "<a>x</a>"],
    ['<a href="ftp://files.example/x">x</a>', "<a>x</a>"],
    // relative links have no page to be relative to in an email (a webmail would resolve them)
    ['<a href="/account/delete">x</a>', "<a>x</a>"],
    ['<a href="#top">x</a>', "<a>x</a>"],
    ['<a href="update.html">x</a>', "<a>x</a>"],
    [
      '<a href="https://mattermost.com/security-updates/" onclick="x()">x</a>',
      '<a href="https://mattermost.com/security-updates/">x</a>',
    ],
    ['<a href="http://example.com">x</a>', '<a href="http://example.com">x</a>'],
    ['<a href="mailto:security@example.com">x</a>', '<a href="mailto:security@example.com">x</a>'],
  ])("keeps only http(s) and mailto links: %s", (input, expected) => {
    expect(sanitizeBulletinHtml(input)).toBe(expected);
  });

  it("keeps formatting: lists, tables, emphasis", () => {
    const html =
      '<ul><li><strong>CVE-2024-1</strong></li></ul><table><tr><td colspan="2">x</td></tr></table>';
    expect(sanitizeBulletinHtml(html)).toBe(
      '<ul><li><strong>CVE-2024-1</strong></li></ul><table><tr><td colspan="2">x</td></tr></table>',
    );
  });

  it("drops images (remote content, tracking pixels)", () => {
    expect(sanitizeBulletinHtml('<p>a<img src="https://t.example/p.gif" onerror="x()">b</p>')).toBe(
      "<p>ab</p>",
    );
  });
});
