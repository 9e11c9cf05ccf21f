// The message type lives in smtp/ (the lowest layer that carries it); mail/ renders it.
export type { OutgoingMessage } from "../smtp/message.ts";
