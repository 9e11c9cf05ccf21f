// The mail page's script, served from the page's own origin (the only script its policy
// admits). It builds the page from /api/state with DOM calls (never markup from a message),
// polls for changes, and shows a message's HTML in a frame sandboxed without scripts.
/* global document, window, fetch, history, location, setTimeout */
"use strict";

const POLL_MS = 1000;
const state = { messages: [], deadLetters: [], etag: "", selected: "", tab: "", detail: null };

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

/** The reader's local time, the ISO value on hover. */
function time(iso) {
  return el("time", { datetime: iso, title: iso, text: new Date(iso).toLocaleString() });
}

const OUTCOME_CLASS = {
  sent: "ok",
  "retried then sent": "warn",
  "duplicate skipped": "muted",
  "dead-lettered": "bad",
};
function outcomeBadge(outcome) {
  return el("span", { class: `badge ${OUTCOME_CLASS[outcome] ?? "muted"}`, text: outcome });
}

// --- the frame of the page ---------------------------------------------------------------
const search = el("input", {
  type: "search",
  id: "search",
  placeholder: "Search subject, address, notification id",
  "aria-label": "Search",
});
const transport = el(
  "select",
  { id: "transport", "aria-label": "Transport" },
  el("option", { value: "", text: "any transport" }),
  el("option", { value: "smtp", text: "SMTP" }),
  el("option", { value: "ses-api", text: "SES API" }),
);
const outcome = el(
  "select",
  { id: "outcome", "aria-label": "Outcome" },
  el("option", { value: "", text: "any outcome" }),
  ...["sent", "retried then sent", "duplicate skipped", "dead-lettered"].map((o) =>
    el("option", { value: o, text: o }),
  ),
);
const count = el("span", { id: "count", role: "status" });
const clear = el("button", { type: "button", id: "clear", text: "Clear all", onclick: clearAll });
const list = el("ul", { id: "messages", "aria-label": "Messages" });
const letters = el("section", { id: "dead-letters" });
const detail = el("section", { id: "detail", "aria-live": "polite" });

document.body.append(
  el(
    "header",
    {},
    el("h1", {}, el("a", { href: "/", text: "Herald sandbox mail" })),
    search,
    transport,
    outcome,
    count,
    clear,
  ),
  el("main", {}, el("nav", {}, list, letters), detail),
);
for (const control of [search, transport, outcome]) control.addEventListener("input", renderList);

function matches(message) {
  const words = search.value.trim().toLowerCase();
  const haystack = [
    message.subject,
    message.from,
    ...message.to,
    ...message.cc,
    message.notification?.id ?? "",
    message.notification?.category ?? "",
  ]
    .join(" ")
    .toLowerCase();
  if (words && !words.split(/\s+/).every((word) => haystack.includes(word))) return false;
  if (transport.value && message.via !== transport.value) return false;
  if (outcome.value && !(message.notification?.outcomes ?? ["sent"]).includes(outcome.value)) return false;
  return true;
}

function renderList() {
  const shown = state.messages.filter(matches).reverse();
  list.replaceChildren(
    ...shown.map((m) =>
      el(
        "li",
        { class: m.id === state.selected ? "selected" : undefined, "data-id": m.id },
        el(
          "a",
          {
            href: `/messages/${encodeURIComponent(m.id)}`,
            onclick: (event) => {
              event.preventDefault();
              select(m.id, true);
            },
          },
          el("span", { class: "subject", text: m.subject }),
          el(
            "span",
            { class: "meta" },
            el("span", {
              class: "to",
              text: `To ${m.to.join(", ")}${m.cc.length ? `, Cc ${m.cc.join(", ")}` : ""}`,
            }),
            time(m.receivedAt),
          ),
          el(
            "span",
            { class: "meta" },
            el("span", { class: `badge via`, text: m.via === "smtp" ? "SMTP" : "SES API" }),
            m.notification
              ? el("code", { text: m.notification.id })
              : el("span", { class: "muted", text: "not a notification" }),
            m.notification ? outcomeBadge(m.notification.outcome) : null,
          ),
        ),
      ),
    ),
  );
  if (shown.length === 0)
    list.append(
      el("li", {
        class: "empty",
        text: state.messages.length
          ? "No message matches."
          : "No messages yet: they appear here as they arrive.",
      }),
    );
  count.textContent = `${shown.length} of ${state.messages.length} message(s), ${state.deadLetters.length} dead letter(s)`;
  const dead = state.deadLetters.filter(
    (d) =>
      !search.value.trim() ||
      `${d.eventId} ${d.reason}`.toLowerCase().includes(search.value.trim().toLowerCase()),
  );
  letters.replaceChildren(
    ...(state.deadLetters.length === 0 ||
    (outcome.value && outcome.value !== "dead-lettered") ||
    transport.value
      ? []
      : [
          el("h2", { text: "Dead letters" }),
          el("p", {
            text: `${state.deadLetters.length} notification(s) failed permanently and went to the dead-letter queue (never retried).`,
          }),
          el(
            "ul",
            { class: "letters" },
            ...dead.map((d) =>
              el(
                "li",
                {},
                el(
                  "span",
                  { class: "meta" },
                  el("code", { text: d.eventId }),
                  el("span", { class: "badge bad", text: d.errorCode }),
                  time(d.failedAt),
                ),
                el("span", { class: "reason", text: d.reason }),
              ),
            ),
          ),
        ]),
  );
}

async function poll() {
  try {
    const response = await fetch("/api/state", {
      headers: state.etag ? { "if-none-match": state.etag } : {},
    });
    if (response.status === 200) {
      state.etag = response.headers.get("etag") ?? "";
      const next = await response.json();
      state.messages = next.messages;
      state.deadLetters = next.deadLetters;
      renderList();
      if (state.selected && !state.messages.some((m) => m.id === state.selected)) showNothing();
    }
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

async function clearAll() {
  if (!window.confirm("Delete every caught message and dead letter?")) return;
  const response = await fetch("/api/clear", { method: "POST" });
  if (!response.ok) window.alert(`Not cleared: ${await response.text()}`);
  state.etag = "";
}

function showNothing() {
  state.selected = "";
  detail.replaceChildren(el("p", { class: "muted", text: "Select a message." }));
  if (location.pathname !== "/") history.pushState(null, "", "/");
}

// --- one message ---------------------------------------------------------------------------
async function select(id, push) {
  state.selected = id;
  if (push) history.pushState(null, "", `/messages/${encodeURIComponent(id)}`);
  renderList();
  const response = await fetch(`/api/messages/${encodeURIComponent(id)}`);
  if (!response.ok) return showNothing();
  const message = await response.json();
  if (state.selected !== id) return;
  state.detail = message;
  renderDetail(message);
}

function row(name, ...value) {
  return el("tr", {}, el("th", { text: name }), el("td", {}, ...value));
}

function renderDetail(m) {
  const n = m.notification;
  const spam = el("td", { id: "spam", text: "scoring..." });
  const facts = el(
    "table",
    { class: "facts" },
    row("From", m.from),
    row("To", m.to.join(", ")),
    m.cc.length ? row("Cc", m.cc.join(", ")) : null,
    row("Received", time(m.receivedAt)),
    row(
      "Via",
      m.via === "smtp" ? "SMTP" : "the SES v2 API",
      m.via === "ses-api"
        ? el("span", {
            class: "badge warn",
            text: "source: the emulator's copy (SES rewrites Message-ID and Date)",
          })
        : null,
    ),
    n
      ? row("Notification", el("code", { text: n.id }), n.category ? ` (${n.category})` : "")
      : row("Notification", el("span", { class: "muted", text: "none: not sent by a notification event" })),
    n ? row("Outcome", outcomeBadge(n.outcome), " ", n.detail) : null,
    m.status
      ? row(
          "Delivery status",
          Object.entries(m.status)
            .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join(", "),
        )
      : null,
    el("tr", {}, el("th", { text: "Spam score" }), spam),
  );
  const tabs = [
    m.hasHtml ? ["HTML", () => htmlFrame(m)] : null,
    ["Text", () => el("pre", { text: m.text || "(no text part)" })],
    ["Headers", () => el("table", { class: "headers" }, ...m.headers.map(([k, v]) => row(k, v)))],
    ["Source", () => source(m)],
  ].filter(Boolean);
  const panel = el("div", { role: "tabpanel", id: "panel" });
  const bar = el("div", { role: "tablist" });
  const show = (name) => {
    state.tab = name;
    for (const button of bar.children)
      button.setAttribute("aria-selected", String(button.textContent === name));
    panel.replaceChildren(tabs.find(([tab]) => tab === name)[1]());
  };
  bar.append(
    ...tabs.map(([name]) =>
      el("button", { type: "button", role: "tab", onclick: () => show(name), text: name }),
    ),
  );
  detail.replaceChildren(
    el("h2", { id: "subject", text: m.subject }),
    el(
      "p",
      { class: "actions" },
      el("a", {
        href: `/messages/${encodeURIComponent(m.id)}.eml`,
        download: `${m.id}.eml`,
        text: "Download .eml",
      }),
      " · ",
      el("a", {
        href: `/messages/${encodeURIComponent(m.id)}/raw`,
        target: "_blank",
        rel: "noopener",
        text: m.sourceLabel,
      }),
    ),
    facts,
    bar,
    panel,
  );
  show(tabs.some(([tab]) => tab === state.tab) ? state.tab : tabs[0][0]);
  void spamScore(m.id, spam);
}

/**
 * The message's HTML in a frame sandboxed WITHOUT scripts (its route's policy forbids them too).
 * allow-same-origin only lets this page read the frame's height; with no script in the frame,
 * nothing in it can use that origin.
 */
function htmlFrame(m) {
  const frame = el("iframe", {
    title: "HTML part",
    sandbox: "allow-same-origin",
    src: `/messages/${encodeURIComponent(m.id)}/html`,
  });
  frame.addEventListener("load", () => {
    const root = frame.contentDocument?.documentElement;
    if (root) frame.style.height = `${root.scrollHeight + 4}px`;
  });
  return frame;
}

function source(m) {
  const pre = el("pre", { class: "source", text: "loading..." });
  void fetch(`/messages/${encodeURIComponent(m.id)}/raw`).then(
    async (r) => (pre.textContent = await r.text()),
  );
  return el("div", {}, el("p", { class: "muted", text: m.sourceLabel }), pre);
}

async function spamScore(id, cell) {
  const response = await fetch(`/api/messages/${encodeURIComponent(id)}/spam`);
  const verdict = response.ok
    ? await response.json()
    : { installed: false, hint: `not scored (${response.status})` };
  if (state.selected !== id) return;
  if (!verdict.installed) return cell.replaceChildren(el("span", { class: "muted", text: verdict.hint }));
  cell.replaceChildren(
    el("span", {
      class: `badge ${verdict.score < 1 ? "ok" : verdict.score < 5 ? "warn" : "bad"}`,
      text: verdict.score.toFixed(1),
    }),
    " SpamAssassin, local rules",
    el(
      "ul",
      { class: "rules" },
      ...verdict.rules.map((r) =>
        el("li", {}, el("code", { text: `${r.points.toFixed(1)} ${r.name}` }), ` ${r.description}`),
      ),
    ),
  );
}

window.addEventListener("popstate", route);
function route() {
  const id = /^\/messages\/([^/.]+)$/.exec(location.pathname)?.[1];
  if (id) void select(decodeURIComponent(id), false);
  else showNothing();
}
route();
void poll();
