import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation } from "react-router-dom";
import { sentence } from "../api/errors";
import { useAuth } from "../auth/AuthContext";

export function AuthPage({ mode }: { mode: "signin" | "signup" }) {
  const auth = useAuth();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = (location.state as { from?: string } | null)?.from ?? "/";
  if (auth.status === "in") return <Navigate to={next} replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      if (mode === "signup") await auth.signUp(String(form.get("name") ?? ""), email, password);
      else await auth.signIn(email, password);
    } catch (failure) {
      setError(sentence(failure, mode));
    } finally {
      setBusy(false);
    }
  }

  const signup = mode === "signup";
  return (
    <main className="auth-page">
      <h1 className="brand">Hintro</h1>
      <form className="card-panel auth-form" onSubmit={submit} aria-describedby={error ? "auth-error" : undefined}>
        <h2>{signup ? "Create your account" : "Sign in"}</h2>
        {signup && (
          <label>
            Name
            <input name="name" autoComplete="name" required maxLength={100} />
          </label>
        )}
        <label>
          E-mail
          <input name="email" type="email" autoComplete="email" required maxLength={254} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={signup ? "new-password" : "current-password"}
            required
            minLength={signup ? 8 : 1}
            maxLength={128}
          />
        </label>
        {signup ? (
          <p className="hint">At least 8 characters.</p>
        ) : (
          <Link to="/forgot-password" className="small">
            Forgot password?
          </Link>
        )}
        {error && (
          <p id="auth-error" className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {signup ? "Create account" : "Sign in"}
        </button>
        <p>
          {signup ? "Already have an account? " : "New to Hintro? "}
          <Link to={signup ? "/signin" : "/signup"} state={location.state}>
            {signup ? "Sign in" : "Create an account"}
          </Link>
        </p>
      </form>
    </main>
  );
}
