// Moved to the sandbox, which runs it too: sandbox/servers/feed.ts
export * from "../../sandbox/servers/feed.ts";
