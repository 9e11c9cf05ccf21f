// Moved to the sandbox, which runs it too: sandbox/servers/dynalite.ts
export * from "../../sandbox/servers/dynalite.ts";
