// dynalite in a process of its own, so a fault test can hang it (SIGSTOP) or kill it:
// prints its endpoint as one JSON line, then serves until killed.
import { startDynalite } from "../helpers/dynalite.ts";

const dynamo = await startDynalite();
const table = await dynamo.createTable();
process.stdout.write(`${JSON.stringify({ env: dynamo.env(table) })}\n`);
