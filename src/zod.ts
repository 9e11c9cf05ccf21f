/**
 * zod for every Herald schema: `zod/mini` (about 25 KB in a bundle, against 85 KB for the
 * classic API that every handler's cold start loaded), with the English messages the classic
 * API sets by itself ("Invalid input: expected string, received number"). Import it as a
 * namespace (`import * as z from "../zod.ts"`) so the bundler keeps only what is used.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";
