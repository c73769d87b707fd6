import { lazy, StrictMode, Suspense, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { BoardRoute, preloadBoardRoute } from "./board/BoardRoute";
import { NoticeProvider } from "./components/Notices";
import { AuthPage } from "./pages/AuthPage";
import { BoardsPage } from "./pages/BoardsPage";
import "./styles.css";

// The board (with drag and drop) is its own chunk: the sign-in and boards pages do not load it.
preloadBoardRoute(window.location.pathname);
const SettingsPage = lazy(() => import("./notifications/SettingsPage"));
const ForgotPasswordPage = lazy(() => import("./pages/PasswordReset").then((m) => ({ default: m.ForgotPasswordPage })));
const ResetPasswordPage = lazy(() => import("./pages/PasswordReset").then((m) => ({ default: m.ResetPasswordPage })));
const ImportPage = lazy(() => import("./pages/ImportPage"));
const SearchPage = lazy(() => import("./pages/SearchPage").then((module) => ({ default: module.SearchPage })));

const loading = (
  <p className="loading" role="status">
    Loading Hintro…
  </p>
);

function Private({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") return loading;
  if (status === "out") return <Navigate to="/signin" replace state={{ from: location.pathname }} />;
  return children;
}

function NotFound() {
  return (
    <main className="auth-page">
      <h1>Page not found</h1>
      <p>
        <a href="/">Go to your boards</a>
      </p>
    </main>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <NoticeProvider>
        <AuthProvider>
          <Routes>
            <Route path="/signin" element={<AuthPage mode="signin" />} />
            <Route path="/signup" element={<AuthPage mode="signup" />} />
            <Route path="/forgot-password" element={<Suspense fallback={loading}><ForgotPasswordPage /></Suspense>} />
            <Route path="/reset-password" element={<Suspense fallback={loading}><ResetPasswordPage /></Suspense>} />
            <Route path="/" element={<Private><BoardsPage /></Private>} />
            <Route path="/boards/:boardId" element={<Private><BoardRoute fallback={loading} /></Private>} />
            <Route path="/boards/:boardId/cards/:cardId" element={<Private><BoardRoute fallback={loading} /></Private>} />
            <Route path="/settings" element={<Private><Suspense fallback={loading}><SettingsPage /></Suspense></Private>} />
            <Route path="/import" element={<Private><Suspense fallback={loading}><ImportPage /></Suspense></Private>} />
            <Route path="/search" element={<Private><Suspense fallback={loading}><SearchPage /></Suspense></Private>} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </AuthProvider>
      </NoticeProvider>
    </BrowserRouter>
  </StrictMode>,
);
