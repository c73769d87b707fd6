import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { BoardPage } from "./board/BoardPage";
import { NoticeProvider } from "./components/Notices";
import { AuthPage } from "./pages/AuthPage";
import { BoardsPage } from "./pages/BoardsPage";
import "./styles.css";

function Private({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading")
    return (
      <p className="loading" role="status">
        Loading Hintro…
      </p>
    );
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
            <Route path="/" element={<Private><BoardsPage /></Private>} />
            <Route path="/boards/:boardId" element={<Private><BoardPage /></Private>} />
            <Route path="/boards/:boardId/cards/:cardId" element={<Private><BoardPage /></Private>} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </AuthProvider>
      </NoticeProvider>
    </BrowserRouter>
  </StrictMode>,
);
