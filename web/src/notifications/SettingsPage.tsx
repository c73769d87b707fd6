// The notification settings: whether notifications also come by e-mail, and how often.
import { useEffect, useState } from "react";
import { api, get } from "../api/client";
import { sentence } from "../api/errors";
import type { EmailChoice } from "../api/types";
import { Header } from "../components/Header";

const CHOICES: { value: EmailChoice; label: string; hint: string }[] = [
  { value: "off", label: "Off", hint: "Notifications only appear under the bell." },
  { value: "immediate", label: "Right away", hint: "One e-mail for each notification, within seconds." },
  { value: "daily", label: "Daily digest", hint: "One e-mail a day listing what you have not read yet." },
];

export default function SettingsPage() {
  const [email, setEmail] = useState<EmailChoice | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    get<{ email: EmailChoice }>("/api/notifications/settings").then(
      (settings) => setEmail(settings.email),
      (failure) => setError(sentence(failure, "load")),
    );
  }, []);

  const choose = (value: EmailChoice) => {
    const before = email;
    setEmail(value);
    setStatus(null);
    setError(null);
    api<{ email: EmailChoice }>("PUT", "/api/notifications/settings", { body: { email: value } }).then(
      (saved) => {
        setEmail(saved.email);
        setStatus("Saved.");
      },
      (failure) => {
        setEmail(before);
        setError(sentence(failure, "load"));
      },
    );
  };

  return (
    <>
      <Header />
      <main className="boards-page">
        <h1>Settings</h1>
        <section className="card-panel stack" aria-labelledby="email-heading">
          <h2 id="email-heading">Notification e-mails</h2>
          {email === null && !error && <p role="status">Loading…</p>}
          {email !== null && (
            <fieldset className="stack plain-fieldset">
              <legend className="sr-only">Send me notifications by e-mail</legend>
              {CHOICES.map((choice) => (
                <label key={choice.value} className="row">
                  <input
                    type="radio"
                    name="email"
                    value={choice.value}
                    checked={email === choice.value}
                    onChange={() => choose(choice.value)}
                  />
                  <span>
                    {choice.label} <span className="hint">{choice.hint}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          <p role="status" className="hint">
            {status}
          </p>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </section>
      </main>
    </>
  );
}
