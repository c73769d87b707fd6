import { lazy, Suspense, type ReactNode } from "react";
import { Link, useNavigate, useSearchParams, useLocation } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";

// After the page: the bell brings the socket client and the notification list with it.
const Bell = lazy(() => import("../notifications/Bell"));

export function Header({ children }: { children?: ReactNode }) {
  const auth = useAuth();
  return (
    <header className="top-bar">
      <Link to="/" className="brand-link">
        Hintro
      </Link>
      <div className="top-bar-middle">{children}</div>
      <HeaderSearch />
      <Suspense fallback={null}>
        <Bell />
      </Suspense>
      <span className="who">{auth.user?.name}</span>
      <button type="button" onClick={() => void auth.signOut()}>
        Sign out
      </button>
    </header>
  );
}

/** The search box: Enter opens the results page (/search?q=). */
function HeaderSearch() {
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const current = location.pathname === "/search" ? (params.get("q") ?? "") : "";
  return (
    <form
      className="header-search"
      role="search"
      aria-label="Search cards"
      onSubmit={(event) => {
        event.preventDefault();
        const q = String(new FormData(event.currentTarget).get("q") ?? "").trim();
        if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
      }}
    >
      <label className="sr-only" htmlFor="header-search">
        Search cards in all your boards
      </label>
      <input id="header-search" key={current} name="q" type="search" placeholder="Search…" defaultValue={current} maxLength={200} />
    </form>
  );
}
