import { describe, expect, it } from "vitest";
import { describeError, errorName, HeraldError } from "../../src/errors.ts";

describe("describeError", () => {
  it("leads with the error's code", () => {
    const error = Object.assign(new Error("GET /feed timed out after 10 s"), { code: "EFEEDTIMEOUT" });
    expect(describeError(error)).toBe("EFEEDTIMEOUT: GET /feed timed out after 10 s");
  });

  it("does not repeat a code Node already put first", () => {
    const error = Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: "EACCES" });
    expect(describeError(error)).toBe("EACCES: permission denied, open 'x'");
  });

  it("leads with the class name when there is no code, and says nothing for a plain Error", () => {
    const denied = Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
    expect(describeError(denied)).toBe("AccessDeniedException: not authorized");
    expect(describeError(new TypeError("x is not a function"))).toBe("TypeError: x is not a function");
    expect(describeError(new Error("boom"))).toBe("boom");
  });

  it("never shows the cause or other fields", () => {
    const error = new Error("write failed", { cause: new Error("password=hunter2") });
    expect(describeError(Object.assign(error, { settings: { SMTPPassword: "hunter2" } }))).toBe(
      "write failed",
    );
  });

  it("puts a thrown non-error into words", () => {
    expect(describeError("just a string")).toBe("just a string");
    expect(errorName("just a string")).toBe("Error");
    expect(errorName(Object.assign(new Error("x"), { name: "NoSuchEntityException" }))).toBe(
      "NoSuchEntityException",
    );
  });
});

describe("HeraldError", () => {
  class ExampleError extends HeraldError {
    override name = "ExampleError";
    readonly code = "EEXAMPLE";
  }

  it("carries the code, the hint and the cause", () => {
    const cause = new Error("underlying");
    const error = new ExampleError("it failed", { hint: "do this", cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ExampleError",
      code: "EEXAMPLE",
      hint: "do this",
      message: "it failed",
    });
    expect(error.cause).toBe(cause);
    expect("cause" in new ExampleError("no cause")).toBe(false);
  });
});
