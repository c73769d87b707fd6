import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import type { Import } from "../api/types";
import { importProblem, progressText } from "./ImportPage";

const job = (fields: Partial<Import>): Import => ({
  id: "j",
  status: "running",
  phase: "cards",
  done: 12,
  total: 29,
  boardId: "b",
  boardTitle: "Launch",
  error: null,
  resumable: false,
  unmatchedMembers: [],
  matchedMembers: 0,
  warnings: [],
  attempts: 1,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
  ...fields,
});

describe("the import page's sentences", () => {
  it("say what a refused upload means", () => {
    expect(importProblem(new ApiError(413, "The request body is larger than the 10 MiB limit."))).toBe("That file is larger than the 10 MiB an import accepts.");
    const notExport = new ApiError(422, "The request failed validation.", [{ loc: ["body"], msg: "The file is not valid JSON." }]);
    expect(importProblem(notExport)).toBe("The file is not valid JSON.");
    expect(importProblem(new ApiError(409, "The import cannot be resumed: it is finished."))).toBe("The import cannot be resumed: it is finished.");
    expect(importProblem(new ApiError(0, "network"))).toMatch(/could not be reached/);
  });

  it("tell the progress in words", () => {
    expect(progressText(job({}))).toBe("Adding cards: 12 of 29 steps");
    expect(progressText(job({ status: "queued" }))).toBe("Waiting to start…");
    expect(progressText(job({ status: "failed" }))).toBe("Stopped after 12 of 29 steps.");
    expect(progressText(job({ status: "done", done: 29, phase: "done" }))).toBe("Imported: 29 of 29 steps.");
  });
});
