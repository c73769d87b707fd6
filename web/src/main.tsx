import { lazy, StrictMode, Suspense, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { NoticeProvider } from "./components/Notices";
import { AuthPage } from "./pages/AuthPage";
import { BoardsPage } from "./pages/BoardsPage";
import "./styles.css";

// The board (with drag and drop) is its own chunk: the sign-in and boards pages do not load it.
const BoardPage = lazy(() => import("./board/BoardPage").then((module) => ({ default: module.BoardPage })));
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
  return <Suspense fallback={loading}>{children}</Suspense>;
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
            <Route path="/" element={<Private><BoardsPage /></Private>} />
            <Route path="/boards/:boardId" element={<Private><BoardPage /></Private>} />
            <Route path="/boards/:boardId/cards/:cardId" element={<Private><BoardPage /></Private>} />
            <Route path="/search" element={<Private><SearchPage /></Private>} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </AuthProvider>
      </NoticeProvider>
    </BrowserRouter>
  </StrictMode>,
);
