// Moved to the sandbox, which runs it too: sandbox/servers/ses.ts
export * from "../../sandbox/servers/ses.ts";
