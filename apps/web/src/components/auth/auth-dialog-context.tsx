import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { AuthModal, type AuthTab } from "./auth-modal.tsx";

interface AuthDialogApi {
  open: (tab: AuthTab) => void;
}

const AuthDialogContext = createContext<AuthDialogApi | null>(null);

/** Lets any component (the header, the sign-up card) open the one sign-in/sign-up dialog. */
export function AuthDialogProvider({ children }: { children: ReactNode }) {
  const [tab, setTab] = useState<AuthTab | null>(null);
  const open = useCallback((t: AuthTab) => setTab(t), []);
  const api = useMemo(() => ({ open }), [open]);
  return (
    <AuthDialogContext.Provider value={api}>
      {children}
      {tab && <AuthModal initialTab={tab} onClose={() => setTab(null)} />}
    </AuthDialogContext.Provider>
  );
}

export function useAuthDialog(): AuthDialogApi {
  const api = useContext(AuthDialogContext);
  if (!api) throw new Error("useAuthDialog outside AuthDialogProvider");
  return api;
}
