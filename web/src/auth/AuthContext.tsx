// Who is signed in. On load the refresh cookie is spent for an access token (silently: a person
// with a live session never sees the sign-in form); the user's account comes from /api/auth/me.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { get } from "../api/client";
import { onSessionChange, refresh, signIn, signOut, signUp } from "../api/session";
import type { User } from "../api/types";

type Status = "loading" | "in" | "out";

interface AuthValue {
  status: Status;
  user: User | null;
  signIn(email: string, password: string): Promise<void>;
  signUp(name: string, email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>("loading");
  const [user, setUser] = useState<User | null>(null);

  const loadMe = useCallback(async () => {
    setUser(await get<User>("/api/auth/me"));
    setStatus("in");
  }, []);

  useEffect(() => {
    let cancelled = false;
    refresh()
      .then(async (token) => {
        if (cancelled) return;
        if (token) await loadMe();
        else setStatus("out");
      })
      .catch(() => !cancelled && setStatus("out"));
    const stop = onSessionChange((signedIn) => {
      if (!signedIn) {
        setUser(null);
        setStatus("out");
      }
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [loadMe]);

  const value = useMemo<AuthValue>(
    () => ({
      status,
      user,
      signIn: async (email, password) => {
        await signIn(email, password);
        await loadMe();
      },
      signUp: async (name, email, password) => {
        await signUp(name, email, password);
        await loadMe();
      },
      signOut: async () => {
        await signOut();
      },
    }),
    [status, user, loadMe],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
