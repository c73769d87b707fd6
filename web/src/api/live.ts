// The one Socket.IO connection of the page, through the gateway at /socket.io. The handshake
// reads the current access token each time it connects, so a reconnect uses a fresh one.
import { io, type Socket } from "socket.io-client";
import { setSocketId } from "./client";
import { getAccessToken, onSessionChange, refresh } from "./session";

function onSignedOut(run: () => void): void {
  onSessionChange((signedIn) => {
    if (!signedIn) run();
  });
}

let socket: Socket | null = null;

// Signing out closes the connection; the session module holds no socket.io import (the sign-in
// page does not load the client), so it is handed the way to close it.
onSignedOut(() => closeLiveSocket());

export function liveSocket(): Socket {
  if (socket) return socket;
  const s = io({
    path: "/socket.io",
    auth: (cb) => cb({ token: getAccessToken() }),
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
  });
  s.on("connect", () => setSocketId(s.id ?? null));
  s.on("disconnect", (reason) => {
    setSocketId(null);
    // A server that shuts down (a restart, a deploy) disconnects its sockets itself, and
    // socket.io does not reconnect those on its own; the next replica will take us.
    if (reason === "io server disconnect") setTimeout(() => s.connect(), 500);
  });
  s.on("connect_error", (error: Error & { data?: unknown }) => {
    // Refused by the server (not a network failure): socket.io does not retry that by itself.
    if (!s.active && error.message === "unauthorized") {
      void refresh().then((token) => {
        if (token) s.connect();
      });
    } else if (!s.active) {
      setTimeout(() => s.connect(), 2000);
    }
  });
  socket = s;
  return s;
}

export function closeLiveSocket(): void {
  socket?.disconnect();
  socket = null;
  setSocketId(null);
}
