// Search results (/search?q=): cards and comments of every board I am on, best first, each
// linking to its card; more on demand (the API's cursor).
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { get } from "../api/client";
import { sentence } from "../api/errors";
import type { SearchHit, SearchResults } from "../api/types";
import { Header } from "../components/Header";
import { marked, queryTerms } from "../lib/taskFilter";

const PAGE = 20;

function Marked({ text, marks }: { text: string; marks: [number, number][] }) {
  return (
    <>
      {marked(text, marks).map((part, index) => (part.mark ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>))}
    </>
  );
}

function searchPath(q: string, cursor: string | null): string {
  return `/api/search?q=${encodeURIComponent(q)}&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
}

export function SearchPage() {
  const [params] = useSearchParams();
  const q = (params.get("q") ?? "").trim();
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const searchable = queryTerms(q).length > 0;

  useEffect(() => {
    document.title = q ? `“${q}” · Search · Hintro` : "Search · Hintro";
    setHits(null);
    setNext(null);
    setError(null);
    if (!searchable) return;
    const controller = new AbortController();
    get<SearchResults>(searchPath(q, null), controller.signal).then(
      (page) => {
        setHits(page.items);
        setNext(page.next);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(sentence(err, "load"));
      },
    );
    return () => controller.abort();
  }, [q, searchable]);

  async function more() {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await get<SearchResults>(searchPath(q, next));
      setHits((all) => [...(all ?? []), ...page.items]);
      setNext(page.next);
    } catch (err) {
      setError(sentence(err, "load"));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <>
      <Header />
      <main className="search-page">
        <h1>{q ? <>Results for “{q}”</> : "Search"}</h1>
        {!searchable && <p className="muted">Type a word in the search box above to find cards and comments in all your boards.</p>}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {searchable && hits === null && !error && (
          <p className="muted" role="status">
            Searching…
          </p>
        )}
        {hits !== null && (
          <>
            <p className="muted" role="status" data-testid="search-count">
              {hits.length === 0 ? "No cards or comments match." : `${hits.length}${next ? "+" : ""} result${hits.length === 1 && !next ? "" : "s"}`}
            </p>
            <ol className="search-results" aria-label="Search results">
              {hits.map((hit) => (
                <li key={`${hit.kind}:${hit.commentId ?? hit.taskId}`} className="search-hit" data-testid="search-hit">
                  <Link to={`/boards/${encodeURIComponent(hit.boardId)}/cards/${encodeURIComponent(hit.taskId)}`} className="search-hit-link">
                    <span className="search-hit-title">
                      <Marked text={hit.title} marks={hit.titleMarks} />
                    </span>
                    <span className="search-hit-where">
                      {hit.kind === "comment" ? "Comment on a card in " : "In "}
                      {hit.listTitle ? `“${hit.listTitle}”` : "a list"} on {hit.boardTitle ? `“${hit.boardTitle}”` : "a board"}
                    </span>
                    {hit.snippet && (
                      <span className="search-hit-snippet">
                        <Marked text={hit.snippet} marks={hit.snippetMarks} />
                      </span>
                    )}
                  </Link>
                </li>
              ))}
            </ol>
            {next && (
              <button type="button" onClick={() => void more()} disabled={loadingMore}>
                {loadingMore ? "Loading…" : "More results"}
              </button>
            )}
          </>
        )}
      </main>
    </>
  );
}
