// The board's webhooks (board menu "Webhooks", owners only): the endpoints with their events,
// adding one (its secret is shown once), rotating the secret, turning an endpoint off and on,
// deleting it, and each endpoint's delivery log with a redeliver button. Loaded lazily.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, get } from "../api/client";
import { sentence } from "../api/errors";
import type { WebhookDelivery, WebhookDeliveryPage, WebhookEndpoint, WebhookEndpointList, WebhookEndpointWithSecret } from "../api/types";
import { Confirm, Modal } from "../components/Modal";
import { deliverySentence, groupEventTypes, urlProblem } from "./webhooks";

interface Props {
  boardId: string;
  onError(text: string): void;
  onInfo(text: string): void;
}

const REFRESH_MS = 3000;
const hooksPath = (boardId: string) => `/api/boards/${encodeURIComponent(boardId)}/webhooks`;
const hookPath = (id: string) => `/api/webhooks/${encodeURIComponent(id)}`;

function SecretDialog({ secret, onClose }: { secret: { url: string; value: string }; onClose(): void }) {
  return (
    <Modal title="Webhook secret" onClose={onClose} testId="webhook-secret">
      <p>
        Copy this secret now: it is shown only once. Your endpoint at <strong>{secret.url}</strong> uses it to check the
        <code> webhook-signature</code> of every delivery.
      </p>
      <label htmlFor="webhook-secret-value">Secret</label>
      <input id="webhook-secret-value" readOnly value={secret.value} onFocus={(e) => e.currentTarget.select()} data-testid="webhook-secret-value" />
      <div className="row end">
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}

function DeliveryLog({ endpoint, onError, onInfo }: { endpoint: WebhookEndpoint; onError(text: string): void; onInfo(text: string): void }) {
  const [items, setItems] = useState<WebhookDelivery[] | null>(null);
  const [next, setNext] = useState<string | null>(null);

  const load = useCallback(
    (cursor: string | null) => {
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
      get<WebhookDeliveryPage>(`${hookPath(endpoint.id)}/deliveries${query}`).then(
        (page) => {
          setItems((before) => (cursor && before ? [...before, ...page.items] : page.items));
          setNext(page.next);
        },
        (error: unknown) => onError(sentence(error, "webhook")),
      );
    },
    [endpoint.id, onError],
  );

  useEffect(() => {
    load(null);
    // The log follows the dispatcher while it is open (retries land every few seconds).
    const timer = window.setInterval(() => load(null), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  async function redeliver(delivery: WebhookDelivery) {
    try {
      await api("POST", `${hookPath(endpoint.id)}/deliveries/${encodeURIComponent(delivery.id)}/redeliver`);
      onInfo("The delivery is being sent again.");
      load(null);
    } catch (error) {
      onError(sentence(error, "webhook"));
    }
  }

  if (items === null) return <p className="muted">Loading…</p>;
  return (
    <div className="stack" data-testid="webhook-deliveries">
      <div className="row">
        <h4 className="grow">Recent deliveries</h4>
        <button type="button" onClick={() => load(null)}>
          Refresh
        </button>
      </div>
      {items.length === 0 && <p className="muted">Nothing has been sent to this endpoint yet.</p>}
      <ul className="plain">
        {items.map((d) => (
          <li key={d.id} className="row" data-testid="webhook-delivery" data-status={d.status}>
            <span className="grow">
              <code>{d.eventType}</code> <span className="small">{deliverySentence(d)}</span>
            </span>
            <button type="button" onClick={() => void redeliver(d)} aria-label={`Send ${d.eventType} again`}>
              Redeliver
            </button>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => load(next)}>
          Show older deliveries
        </button>
      )}
    </div>
  );
}

function EndpointRow({
  endpoint,
  onChanged,
  onSecret,
  onError,
  onInfo,
}: {
  endpoint: WebhookEndpoint;
  onChanged(): void;
  onSecret(secret: { url: string; value: string }): void;
  onError(text: string): void;
  onInfo(text: string): void;
}) {
  const [open, setOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [rotating, setRotating] = useState(false);

  async function setEnabled(enabled: boolean) {
    try {
      await api("PATCH", hookPath(endpoint.id), { body: { enabled } });
      onInfo(enabled ? "The webhook is on again." : "The webhook is off; nothing will be sent to it.");
      onChanged();
    } catch (error) {
      onError(sentence(error, "webhook"));
    }
  }

  async function rotate() {
    try {
      const answer = await api<WebhookEndpointWithSecret>("POST", `${hookPath(endpoint.id)}/rotate-secret`);
      onSecret({ url: answer.url, value: answer.secret });
      onChanged();
    } catch (error) {
      onError(sentence(error, "webhook"));
    }
  }

  async function remove() {
    try {
      await api("DELETE", hookPath(endpoint.id));
      onInfo("The webhook was deleted.");
      onChanged();
    } catch (error) {
      onError(sentence(error, "webhook"));
    }
  }

  return (
    <li className="stack webhook" data-testid="webhook" data-webhook-id={endpoint.id}>
      <div className="row">
        <span className="grow">
          <strong className="webhook-url">{endpoint.url}</strong>
          <span className="muted small block">
            {endpoint.enabled ? "On" : `Off${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ""}`} · {endpoint.eventTypes.join(", ")}
          </span>
          {endpoint.failingSince && endpoint.enabled && <span className="small block">Deliveries have been failing since {new Date(endpoint.failingSince).toLocaleString()}.</span>}
        </span>
      </div>
      <div className="row">
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Hide deliveries" : "Deliveries"}
        </button>
        <button type="button" onClick={() => void setEnabled(!endpoint.enabled)}>
          {endpoint.enabled ? "Turn off" : "Turn on"}
        </button>
        <button type="button" onClick={() => setRotating(true)}>
          New secret
        </button>
        <button type="button" className="danger" onClick={() => setDeleting(true)} aria-label={`Delete webhook ${endpoint.url}`}>
          Delete
        </button>
      </div>
      {open && <DeliveryLog endpoint={endpoint} onError={onError} onInfo={onInfo} />}
      {rotating && (
        <Confirm
          title="Make a new secret?"
          message="The current secret keeps signing deliveries beside the new one for a day, so you can update your endpoint without missing any."
          confirmLabel="Make a new secret"
          onConfirm={() => void rotate()}
          onClose={() => setRotating(false)}
        />
      )}
      {deleting && (
        <Confirm
          title="Delete webhook?"
          message={`Nothing more will be sent to ${endpoint.url}.`}
          confirmLabel="Delete webhook"
          onConfirm={() => void remove()}
          onClose={() => setDeleting(false)}
        />
      )}
    </li>
  );
}

export function WebhooksPanel({ boardId, onError, onInfo }: Props) {
  const [list, setList] = useState<WebhookEndpointList | null>(null);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    get<WebhookEndpointList>(hooksPath(boardId)).then(setList, (error: unknown) => onError(sentence(error, "webhook")));
  }, [boardId, onError]);

  useEffect(() => load(), [load]);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const url = String(data.get("url") ?? "").trim();
    const eventTypes = data.getAll("eventTypes").map(String);
    const wrong = urlProblem(url) ?? (eventTypes.length === 0 ? "Choose at least one event for the webhook." : null);
    setProblem(wrong);
    if (wrong) return;
    try {
      const created = await api<WebhookEndpointWithSecret>("POST", hooksPath(boardId), {
        body: { url, eventTypes, description: String(data.get("description") ?? "").trim() },
      });
      form.reset();
      setSecret({ url: created.url, value: created.secret });
      load();
    } catch (error) {
      setProblem(sentence(error, "webhook"));
    }
  }

  return (
    <aside className="side-panel" aria-labelledby="webhooks-heading" data-testid="webhooks-panel">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p className="muted small">Send this board's events to another service as they happen. Every delivery is signed with the endpoint's secret.</p>
      {list === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          {list.items.length === 0 && <p className="muted">This board has no webhooks yet.</p>}
          <ul className="plain">
            {list.items.map((endpoint) => (
              <EndpointRow key={endpoint.id} endpoint={endpoint} onChanged={load} onSecret={setSecret} onError={onError} onInfo={onInfo} />
            ))}
          </ul>
          <form className="stack" onSubmit={(e) => void create(e)} noValidate>
            <h3>Add a webhook</h3>
            <label htmlFor="webhook-url">Endpoint URL</label>
            <input id="webhook-url" name="url" type="url" placeholder="https://example.com/hooks" maxLength={2048} required />
            <label htmlFor="webhook-description">Description (optional)</label>
            <input id="webhook-description" name="description" maxLength={200} />
            <fieldset className="stack">
              <legend>Events to send</legend>
              {groupEventTypes(list.eventTypes).map((group) => (
                <div key={group.key} className="stack">
                  <span className="small">{group.title}</span>
                  {group.types.map((type) => (
                    <label key={type} className="row small">
                      <input type="checkbox" name="eventTypes" value={type} /> {type}
                    </label>
                  ))}
                </div>
              ))}
            </fieldset>
            {problem && (
              <p role="alert" className="form-error">
                {problem}
              </p>
            )}
            <button type="submit" className="primary">
              Add webhook
            </button>
          </form>
        </>
      )}
      {secret && <SecretDialog secret={secret} onClose={() => setSecret(null)} />}
    </aside>
  );
}
