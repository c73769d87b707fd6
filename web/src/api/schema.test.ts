// schema.d.ts must be what `npm run gen:api` makes of the committed openapi.json: whoever
// changes the API regenerates it, and this fails until they do.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const web = resolve(__dirname, "../..");

describe("generated API types", () => {
  it("are current with gateway/src/hintro_gateway/openapi.json", () => {
    const out = join(mkdtempSync(join(tmpdir(), "hintro-schema-")), "schema.d.ts");
    const cli = join(web, "node_modules", "openapi-typescript", "bin", "cli.js");
    execFileSync(process.execPath, [cli, join(web, "..", "gateway", "src", "hintro_gateway", "openapi.json"), "-o", out], { cwd: web, stdio: "pipe" });
    const committed = readFileSync(join(web, "src", "api", "schema.d.ts"), "utf8");
    expect(readFileSync(out, "utf8") === committed, "src/api/schema.d.ts is stale: run `npm run gen:api` in web/").toBe(true);
  }, 30_000);
});
