import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Only the composition root (src/runtime.ts) reads the environment or constructs AWS
// clients; the rest of src/ receives what it needs (DESIGN.md section 1).
const compositionRootOnly = [
  {
    selector: "MemberExpression[object.name='process'][property.name='env']",
    message: "Only src/runtime.ts reads process.env: take the value (or an env object) as a parameter.",
  },
  {
    selector: "NewExpression[callee.name=/Client$/]",
    message: "Only src/runtime.ts constructs AWS clients: receive the client from the runtime.",
  },
];

// `import { z }` brings zod's whole namespace (its locales too) into every bundle: about
// 350 KB more per Lambda than `import * as z`.
const bundleFriendly = [
  {
    selector:
      "ImportDeclaration[importKind='value'][source.value='zod'] > ImportSpecifier[imported.name='z']",
    message: 'Use `import * as z from "zod"` (tree-shakable).',
  },
];

export default tseslint.config(
  { ignores: ["node_modules/", "cdk.out/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", ...bundleFriendly],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/runtime.ts"],
    rules: { "no-restricted-syntax": ["error", ...compositionRootOnly, ...bundleFriendly] },
  },
);
