/** The Subject header of a raw message (unfolded; encoded words are left as they are). */
export function parseSubject(raw: string): { subject?: string } {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const subject = /^Subject:[ \t]*(.*)$/im.exec(unfolded)?.[1];
  return subject === undefined ? {} : { subject };
}
