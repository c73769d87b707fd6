// Password reset: ask for a link by e-mail, then choose a new password on the page the link
// opens (/reset-password#token=...: the token stays in the fragment, out of server logs).
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api } from "../api/client";
import { ApiError, NETWORK } from "../api/errors";

function failureSentence(failure: unknown): string {
  if (failure instanceof ApiError) {
    if (failure.status === NETWORK) return "Hintro could not be reached. Check your connection and try again.";
    if (failure.status === 429) return "Too many attempts from here. Wait a minute and try again.";
    if (failure.status === 422) return "This reset link is invalid or has expired. Ask for a new one.";
    if (failure.status === 503) return "Hintro is busy right now. Try again in a moment.";
  }
  return "Something went wrong. Try again.";
}

export function ForgotPasswordPage() {
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "");
    setBusy(true);
    setError(null);
    try {
      const answer = await api<{ detail: string }>("POST", "/api/auth/password-reset", { body: { email } });
      setSent(answer.detail);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 422 ? "Enter a valid e-mail address." : failureSentence(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <h1 className="brand">Hintro</h1>
      <form className="card-panel auth-form" onSubmit={submit}>
        <h2>Reset your password</h2>
        {sent ? (
          <p role="status">{sent}</p>
        ) : (
          <>
            <p className="hint">We will e-mail you a link to choose a new password.</p>
            <label>
              E-mail
              <input name="email" type="email" autoComplete="email" required maxLength={254} />
            </label>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              Send the link
            </button>
          </>
        )}
        <p>
          <Link to="/signin">Back to sign in</Link>
        </p>
      </form>
    </main>
  );
}

export function ResetPasswordPage() {
  const navigate = useNavigate();
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
  const [error, setError] = useState<string | null>(token ? null : "This reset link is incomplete. Ask for a new one.");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("again") ?? "")) {
      setError("The two passwords are not the same.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api("POST", "/api/auth/password-reset/confirm", { body: { token, password } });
      setDone(true);
      window.history.replaceState(null, "", "/reset-password");
    } catch (failure) {
      setError(failureSentence(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <h1 className="brand">Hintro</h1>
      <form className="card-panel auth-form" onSubmit={submit}>
        <h2>Choose a new password</h2>
        {done ? (
          <>
            <p role="status">Your password was changed, and you were signed out everywhere.</p>
            <button type="button" className="primary" onClick={() => navigate("/signin")}>
              Sign in
            </button>
          </>
        ) : (
          <>
            <label>
              New password
              <input name="password" type="password" autoComplete="new-password" required minLength={8} maxLength={128} />
            </label>
            <label>
              New password again
              <input name="again" type="password" autoComplete="new-password" required minLength={8} maxLength={128} />
            </label>
            <p className="hint">At least 8 characters.</p>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy || !token}>
              Set the new password
            </button>
          </>
        )}
      </form>
    </main>
  );
}
