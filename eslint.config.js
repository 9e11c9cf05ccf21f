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

export default tseslint.config(
  { ignores: ["node_modules/", "cdk.out/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/runtime.ts"],
    rules: { "no-restricted-syntax": ["error", ...compositionRootOnly] },
  },
);
