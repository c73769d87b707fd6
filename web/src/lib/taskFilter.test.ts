import { describe, expect, it } from "vitest";
import { EMPTY_FILTER, filterTasks, isActive, marked, parseFilter, queryTerms, taskMatcher, toggled, withFilter, words, type FilterableTask, type TaskFilter } from "./taskFilter";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

function task(overrides: Partial<FilterableTask> = {}): FilterableTask {
  return { title: "Fix login", description: "The form breaks", assigneeIds: ["u1"], labelIds: ["bug"], dueDate: null, dueComplete: false, ...overrides };
}

const f = (overrides: Partial<TaskFilter>): TaskFilter => ({ ...EMPTY_FILTER, ...overrides });
const iso = (ms: number) => new Date(ms).toISOString();

describe("words", () => {
  // The same cases as services/task/tests/test_task_searching.py.
  it("folds case and accents and splits on anything else", () => {
    expect(words("Café-Menü v2, ÉTÉ_été")).toEqual(["cafe", "menu", "v2", "ete", "ete"]);
    expect(words("  ")).toEqual([]);
    expect(words("x".repeat(50))).toEqual(["x".repeat(32)]);
  });
  it("takes a query's distinct words, at most 8", () => {
    expect(queryTerms("Login login LOGIN form")).toEqual(["login", "form"]);
    expect(queryTerms(Array.from({ length: 20 }, (_, n) => `w${n}`).join(" "))).toHaveLength(8);
  });
});

describe("the filter", () => {
  it("needs every word at the start of a word of the title or description", () => {
    expect(taskMatcher(f({ q: "log form" }), "me", NOW)(task())).toBe(true);
    expect(taskMatcher(f({ q: "log zebra" }), "me", NOW)(task())).toBe(false);
    expect(taskMatcher(f({ q: "ogin" }), "me", NOW)(task())).toBe(false);
  });
  it("matches any of the chosen labels and assignees", () => {
    expect(taskMatcher(f({ labelIds: ["bug", "x"] }), "me", NOW)(task())).toBe(true);
    expect(taskMatcher(f({ labelIds: ["x"] }), "me", NOW)(task())).toBe(false);
    expect(taskMatcher(f({ labelIds: ["x"] }), "me", NOW)(task({ labelIds: undefined }))).toBe(false);
    expect(taskMatcher(f({ assignees: ["me"] }), "u1", NOW)(task())).toBe(true);
    expect(taskMatcher(f({ assignees: ["me"] }), "u2", NOW)(task())).toBe(false);
    expect(taskMatcher(f({ assignees: ["none"] }), "u", NOW)(task({ assigneeIds: [] }))).toBe(true);
    expect(taskMatcher(f({ assignees: ["none", "u1"] }), "u", NOW)(task())).toBe(true);
    expect(taskMatcher(f({ assignees: ["none"] }), "u", NOW)(task())).toBe(false);
  });
  it("knows overdue, this week, undated and done", () => {
    const cards = [
      task({ dueDate: iso(NOW - HOUR) }),
      task({ dueDate: iso(NOW + 6 * DAY) }),
      task({ dueDate: iso(NOW + 8 * DAY) }),
      task({ dueDate: iso(NOW - DAY), dueComplete: true }),
      task(),
    ];
    const which = (choice: TaskFilter["due"][number]) => cards.map(taskMatcher(f({ due: [choice] }), "u", NOW));
    expect(which("overdue")).toEqual([true, false, false, false, false]);
    expect(which("week")).toEqual([false, true, false, false, false]);
    expect(which("none")).toEqual([false, false, false, false, true]);
    expect(which("done")).toEqual([false, false, false, true, false]);
  });
  it("combines the facets", () => {
    const keep = taskMatcher(f({ q: "fix", labelIds: ["bug"], assignees: ["me"] }), "u1", NOW);
    expect(keep(task())).toBe(true);
    expect(keep(task({ labelIds: [] }))).toBe(false);
  });
  it("shows the archived cards only when asked, and then only them", () => {
    const live = task();
    const archived = task({ archivedAt: "2026-05-30T10:00:00Z" });
    expect([live, archived].map(taskMatcher(EMPTY_FILTER, "u1", NOW))).toEqual([true, false]);
    expect([live, archived].map(taskMatcher(f({ archived: true }), "u1", NOW))).toEqual([false, true]);
    expect([live, archived].map(taskMatcher(f({ archived: true, q: "zebra" }), "u1", NOW))).toEqual([false, false]);
    expect(isActive(f({ archived: true }))).toBe(true);
  });
  it("toggles one value of a facet, keeping the others", () => {
    expect(toggled(["a", "b"], "c")).toEqual(["a", "b", "c"]);
    expect(toggled(["a", "b", "c"], "b")).toEqual(["a", "c"]);
    expect(toggled([], "a")).toEqual(["a"]);
  });
  it("matches a card with any of several due choices", () => {
    const keep = taskMatcher(f({ due: ["overdue", "none"] }), "u", NOW);
    expect([task({ dueDate: iso(NOW - HOUR) }), task(), task({ dueDate: iso(NOW + 6 * DAY) })].map(keep)).toEqual([true, true, false]);
  });
  it("keeps the same object when nothing is filtered", () => {
    const tasks = { a: task(), b: task({ title: "Other" }) };
    expect(filterTasks(tasks, EMPTY_FILTER, "u1", NOW)).toBe(tasks);
    expect(Object.keys(filterTasks(tasks, f({ q: "fix" }), "u1", NOW))).toEqual(["a"]);
    expect(isActive(f({ q: " !! " }))).toBe(false);
  });
});

describe("the URL", () => {
  it("reads and writes the filter, keeping other params", () => {
    const params = new URLSearchParams("q=fix+it&labelIds=a,b&assignee=me&due=overdue,someday&x=1");
    const filter = parseFilter(params);
    expect(filter).toEqual({ q: "fix it", labelIds: ["a", "b"], assignees: ["me"], due: ["overdue"], archived: false });
    const written = withFilter(params, { ...filter, labelIds: [], due: ["week"] });
    expect(written.toString()).toBe("q=fix+it&assignee=me&due=week&x=1");
  });
  it("carries several values per facet and the archived switch, and reads back what it wrote", () => {
    const filter: TaskFilter = { q: "", labelIds: ["a", "b"], assignees: ["me", "none", "u7"], due: ["overdue", "week"], archived: true };
    const written = withFilter(new URLSearchParams(), filter);
    expect(written.get("labelIds")).toBe("a,b");
    expect(written.get("assignee")).toBe("me,none,u7");
    expect(written.get("due")).toBe("overdue,week");
    expect(written.get("archived")).toBe("true");
    expect(parseFilter(written)).toEqual(filter);
    expect(withFilter(written, { ...filter, archived: false }).has("archived")).toBe(false);
    expect(parseFilter(new URLSearchParams("archived=yes")).archived).toBe(false);
  });
});

describe("marks", () => {
  it("splits text into marked and plain parts", () => {
    expect(marked("Fix the login", [[8, 13], [0, 3]])).toEqual([
      { text: "Fix", mark: true },
      { text: " the ", mark: false },
      { text: "login", mark: true },
    ]);
    expect(marked("short", [[2, 99]])).toEqual([{ text: "short", mark: false }]);
  });
});
