// Which part of Herald may import which: `npm run lint` runs this (dependency-cruiser).
//
//   bin/      -> lib/, src/           (the CDK app and the CLI entry points)
//   lambdas/  -> src/                 (thin handlers over the domain code)
//   lib/      -> src/ facts only      (constants and data tables, never runtime logic)
//   src/      -> src/ only, its folders layered as SRC_LAYERS below: a folder imports only
//                folders before it in the list, so no two folders import each other
//   sandbox/, test/, bench/ -> anything
//
// And no module cycle anywhere.

/** src/ folders from the bottom up. A new folder goes where its imports put it. */
const SRC_LAYERS = [
  "net",
  "ses",
  "settings",
  "smtp",
  "mail",
  "notifications",
  "security",
  "lambda",
  "operations",
  "cli",
];

/**
 * The src/ modules the CDK app (lib/) may read: facts and pure rules shared with the
 * functions (no AWS clients, no I/O), so a value is judged the same at synth and at run time.
 */
const FACTS_FOR_LIB = [
  "src/constants\\.ts",
  "src/errors\\.ts",
  "src/ses/regions\\.ts",
  "src/ses/smtp-credentials-contract\\.ts",
  "src/settings/model\\.ts",
  "src/net/hosts\\.ts",
  "src/transport-needs\\.ts",
  "src/send-timing\\.ts",
  "src/settings/problems\\.ts",
];

const layerRules = SRC_LAYERS.slice(0, -1).map((layer, index) => ({
  name: `src-${layer}-layer`,
  comment: `src/${layer}/ may import only the src/ folders below it: ${SRC_LAYERS.slice(0, index).join(", ") || "none"}`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${SRC_LAYERS.slice(index + 1).join("|")})/` },
}));

export default {
  forbidden: [
    {
      name: "no-circular",
      comment: "A module cycle: split a leaf module (a type, a constant) out of one side.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "src-stays-in-src",
      comment: "Domain code never imports the CDK app, the handlers, the CLI entry, the sandbox or tests.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(bin|lambdas|lib|sandbox|test|bench)/" },
    },
    {
      name: "lambdas-use-src",
      comment: "A handler imports domain code from src/, not the CDK app, another handler or test code.",
      severity: "error",
      from: { path: "^lambdas/" },
      to: { path: "^(bin|lib|sandbox|test|bench|lambdas)/" },
    },
    {
      name: "lib-reads-src-facts-only",
      comment: `The CDK app reads only shared facts from src/ (${FACTS_FOR_LIB.join(", ")}); logic stays in the functions.`,
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^src/", pathNot: `^(${FACTS_FOR_LIB.join("|")})$` },
    },
    {
      name: "lib-stays-in-lib",
      comment: "The CDK app never imports the handlers' code, the CLI entry, the sandbox or tests.",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^(bin|lambdas|sandbox|test|bench)/" },
    },
    {
      name: "bin-uses-lib-and-src",
      comment: "Entry points import lib/ and src/ only.",
      severity: "error",
      from: { path: "^bin/" },
      to: { path: "^(lambdas|sandbox|test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|cdk\\.out|coverage)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
