// Solves one proof-of-work challenge off the main thread, so the page stays responsive during the
// second of hashing. Loaded only when the auth modal asks for a proof.
import { solveProofOfWork, type ProofChallenge } from "@wavelength/shared/proof-of-work";

export type ProofWorkerReply = { ok: true; proof: string } | { ok: false; message: string };

self.onmessage = async (event: MessageEvent<ProofChallenge>) => {
  let reply: ProofWorkerReply;
  try {
    reply = { ok: true, proof: await solveProofOfWork(event.data) };
  } catch (error) {
    reply = { ok: false, message: error instanceof Error ? error.message : "Proof of work failed." };
  }
  self.postMessage(reply);
};
