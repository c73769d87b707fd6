import { lazy, Suspense, type ReactNode } from "react";
import { Link } from "react-router-dom";
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
