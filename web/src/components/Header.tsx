import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";

export function Header({ children }: { children?: ReactNode }) {
  const auth = useAuth();
  return (
    <header className="top-bar">
      <Link to="/" className="brand-link">
        Hintro
      </Link>
      <div className="top-bar-middle">{children}</div>
      <span className="who">{auth.user?.name}</span>
      <button type="button" onClick={() => void auth.signOut()}>
        Sign out
      </button>
    </header>
  );
}
