import { describe, expect, it } from "vitest";

describe("the toolchain", () => {
  it("runs the tests on Node 24 or newer (the Lambda runtime is nodejs24.x)", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
  });
});
