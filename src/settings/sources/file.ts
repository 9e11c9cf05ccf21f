import { readFile } from "node:fs/promises";
import { CONFIG_FILE_ENV } from "../../constants.ts";
import { emptyLayer, type SettingsLayer } from "../layer.ts";
import { addConfigObject } from "./config-object.ts";

const FILE_FIX = `check the path given with --config or ${CONFIG_FILE_ENV}`;

/** A Mattermost-shaped config.json file as a settings layer. Never throws. */
export async function readConfigFileLayer(path: string): Promise<SettingsLayer> {
  const layer = emptyLayer();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "read error";
    layer.inputErrors.push({
      setting: "config",
      severity: "error",
      message: `cannot read config file ${path} (${code})`,
      fix: FILE_FIX,
      source: "file",
    });
    return layer;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    layer.inputErrors.push({
      setting: "config",
      severity: "error",
      message: `config file ${path} is not valid JSON${jsonErrorPosition(text, error)}`,
      fix: "fix the JSON syntax (a linter or `jq . FILE` points at the error)",
      source: "file",
    });
    return layer;
  }
  addConfigObject(layer, config, "file", path);
  return layer;
}

/**
 * V8's JSON errors quote the text around the error, which may be the SMTP password:
 * report only where the error is.
 */
function jsonErrorPosition(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` (line ${lineColumn[1]}, column ${lineColumn[2]})`;
  const position = /position (\d+)/.exec(message);
  if (position) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return ` (line ${line}, column ${column})`;
  }
  return text.trim() === "" ? " (the file is empty)" : "";
}
